import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SmtpReply, loadConfig } from '@petrel/core';
import { shapingConfigExtensions } from './config-extension.js';
import { loadShapingFiles, parseShapingToml, DEFAULT_SHAPING_FILE } from './rules-file.js';
import { RuleMatcher, TriggerWindows } from './rule-matcher.js';

test('errors name the file, the rule and the key, and say what was expected', () => {
  const r = parseShapingToml(
    `[[rule]]
name = "y"
regex = "[TS01"
count = 0
action = [{ action = "throttle", scope = "domain", duration = "1h" }, { action = "suspend", scope = "site", duration = "1h" }]
`,
    'rules.toml',
  );
  assert.equal(r.rules.length, 0);
  const text = r.errors.join('\n');
  assert.match(text, /rules\.toml: rule "y": regex: not a valid regular expression/);
  assert.match(text, /rules\.toml: rule "y": count: expected a whole number of at least 1/);
  assert.match(text, /rules\.toml: rule "y": action\.rate: a throttle action needs a rate/);
  assert.match(text, /rules\.toml: rule "y": action\.scope: a suspend action applies to binding\+domain/);
});

test('an unknown key and a duplicate rule name are refused', () => {
  const r = parseShapingToml(
    `[[rule]]
name = "a"
enhanced = "4.7.650"
action = { action = "bounce" }
colour = "red"
[[rule]]
name = "a"
enhanced = "4.7.0"
action = { action = "bounce" }
`,
    'f.toml',
  );
  assert.match(r.errors.join('\n'), /f\.toml: rule "a": colour: unknown key/);
  assert.match(r.errors.join('\n'), /duplicate rule name "a"/);
});

test('the shipped rules load, and each provider section cites its source', () => {
  const cfg = loadShapingFiles([]);
  assert.equal(cfg.files[0], DEFAULT_SHAPING_FILE);
  const names = cfg.rules.map((r) => r.name);
  for (const n of [
    'yahoo-ts01-ts02',
    'microsoft-rate-limited',
    'gmail-unsolicited-rate',
    'comcast-rate-limit',
    'gmx-webde-rate',
    'orange-suspended',
  ])
    assert.ok(names.includes(n), n);
  assert.ok(cfg.sites.some((s) => s.name === 'yahoo' && s.maxConnections === 20));
});

test('a rule matches by regex on the whole reply, enhanced code and destination (domain, MX pattern, site)', () => {
  const { rules } = loadShapingFiles([]);
  const m = new RuleMatcher(rules, () => []);
  const ts01 = new SmtpReply(421, '[TS01] Messages from 192.0.2.1 temporarily deferred', '4.7.0');
  const at = { binding: 'b', domain: 'yahoo.com', host: 'mta5.am0.yahoodns.net' };
  assert.deepEqual(
    m.match(ts01, at).map((r) => r.name),
    ['yahoo-ts01-ts02'],
  );
  // The same reply from another provider's MX is not Yahoo's business.
  assert.deepEqual(
    m.match(ts01, { binding: 'b', domain: 'x.test', host: 'mx.x.test' }).map((r) => r.name),
    [],
  );
  const ms = new SmtpReply(
    451,
    'The mail server [192.0.2.1] has been temporarily rate limited due to IP reputation.',
    '4.7.650',
  );
  const site = 'hotmail-com.olc.protection.outlook.com';
  assert.deepEqual(
    m.match(ms, { binding: 'b', domain: 'hotmail.com', site }).map((r) => r.name),
    ['microsoft-rate-limited'],
  );
});

test('a trigger fires on the count-th match within the window, not on matches spread wider', () => {
  const w = new TriggerWindows();
  assert.equal(w.hit('k', 0, 3, 1000), false);
  assert.equal(w.hit('k', 500, 3, 1000), false);
  assert.equal(w.hit('k', 1600, 3, 1000), false, 'the first match fell out of the window');
  assert.equal(w.hit('k', 1700, 3, 1000), false, 'two within the window');
  assert.equal(w.hit('k', 1800, 3, 1000), true, 'three within the window');
  assert.equal(w.hit('k', 1900, 3, 1000), false, 'the window starts over after firing');
});

test('through the config loader, errors name petrel.toml and its key, then the rule file, rule and key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-shaping-'));
  try {
    writeFileSync(
      join(dir, 'mine.toml'),
      '[[rule]]\nname = "m"\nenhanced = "4.7.0"\naction = [{ action = "throttle" }]\n',
    );
    const toml =
      '[shaping]\nrules_files = ["mine.toml"]\n\n[[shaping.warmup]]\nbinding = "nope"\nstart = "2026-12-01"\n' +
      'schedule = [{ day = 1, hourly = 5 }]\n';
    const file = join(dir, 'petrel.toml');
    writeFileSync(file, toml);
    assert.throws(
      () => loadConfig(file, { extensions: shapingConfigExtensions }),
      (e: Error) =>
        /petrel\.toml:2: shaping\.rules_files: .*mine\.toml: rule "m": action\.duration: a throttle action needs a duration/.test(
          e.message,
        ) && /petrel\.toml:4: shaping\.warmup\.binding: expected a defined binding, found "nope"/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
