import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scenario } from '../lib/scenario.js';
import { CLI, scenarioConfig, startScenarioPetrel } from '../lib/petrel.js';
import { petrelJson } from '../lib/cli.js';
import { run } from '@petrel/testkit';

const CLASS = `
[bounce]
override_files = ["partner.ovr"]

[[bounce.classes]]
code = 55
name = "Partner Block"
description = "Refused by a partner's blocklist"
category = "Block"
`;

test('a [[bounce.classes]] operator class used by an override file: the daemon starts and petrel classify names the class; a built-in code is refused at start', async (t) => {
  const s = await scenario(t);
  const dir = join(s.dir, 'petrel');
  // The override file sits beside the config (relative paths are relative to it).
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'partner.ovr'), '# domain,code,rule\n,55,partner block\n');
  const cfg = scenarioConfig(s, { extra: CLASS });
  const p = await startScenarioPetrel(s, cfg, dir);

  const cls = await petrelJson<{ code: number; name: string; category: string; rule: string }>(p, [
    'classify',
    '550 5.7.1 Message rejected: partner block in effect',
  ]);
  assert.deepEqual(cls, { code: 55, name: 'Partner Block', category: 'Block', rule: `${join(dir, 'partner.ovr')}:2` });
  const other = await petrelJson<{ code: number }>(p, ['classify', '550 5.1.1 <x@example.test>: user unknown']);
  assert.equal(other.code, 10, 'other replies keep the shipped rules');

  // The same class on a built-in code: start fails before listening, naming file, line and key.
  const bad = join(dir, 'bad.toml');
  writeFileSync(bad, cfg.replace('code = 55', 'code = 51'));
  const r = await run(process.execPath, [CLI, 'start', '--config', bad], { timeoutMs: 30_000 });
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /bad\.toml:\d+: bounce\.classes\[1\]\.code: expected a code no built-in bounce class uses, found 51/,
  );
});
