import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPetrelConfig as loadConfig } from './config.js';
import { generateKey } from '@petrel/dkim';
import { reloadConfig } from './reload.js';

const BASE = `hostname = "petrel.test"
[global]
retry_interval = "2s"
[bounce]
classify = true
[binding.b1]
bind_address = "127.0.0.2"
`;

test('reload names each changed delivery option with its scope, applies binding rules live, and names every section that needs a restart', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-reload-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'petrel.toml');
  writeFileSync(file, BASE);
  const current = loadConfig(file);

  assert.deepEqual(
    reloadConfig(current, file).result,
    { applied: [], restartRequired: [] },
    'an unchanged file changes nothing',
  );

  writeFileSync(file, BASE.replace('"2s"', '"7s"'));
  const live = reloadConfig(current, file);
  assert.deepEqual(live.result, { applied: ['retry_interval (global)'], restartRequired: [] });
  assert.equal(live.next.delivery.policy('default', 'example.test').retry_interval, 7_000);

  writeFileSync(
    file,
    `${BASE.replace('127.0.0.2', '127.0.0.3')}[domain."reload.test"]\nroutes = ["smtp://127.0.0.9"]\n[binding.b1.domain."gw.test"]\ngateway = ["127.0.0.8"]\n`,
  );
  assert.deepEqual(reloadConfig(current, file).result, {
    applied: [
      'routes (domain "reload.test")',
      'bind_address (binding "b1")',
      'gateway (binding "b1" domain "gw.test")',
    ],
    restartRequired: [],
  });

  writeFileSync(
    file,
    `${BASE.replace('classify = true', 'classify = false')}[listener]\nmax_recipients = 7\n[spool]\nmin_free_space = "0"\n[[binding_rule]]\nsender_domain = "x.test"\nbinding = "b1"\n`,
  );
  const mixed = reloadConfig(current, file).result;
  assert.deepEqual(mixed.restartRequired, ['listener', 'spool', 'bounce']);
  assert.deepEqual(mixed.applied, ['binding_rule'], 'routing rebuilds its assigner from the new rules');
});

test('reload reports [[dkim]] when a key file was rewritten in place (rotation) and [dkim_options] when changed', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-reload-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'petrel.toml');
  const key = join(dir, 'k.pem');
  writeFileSync(key, generateKey('ed25519'), { mode: 0o600 });
  const dkim = `[[dkim]]\ndomain = "example.test"\nselector = "s1"\nkey_file = "k.pem"\n`;
  writeFileSync(file, BASE + dkim);
  const current = loadConfig(file);
  assert.deepEqual(reloadConfig(current, file).result.applied, [], 'the same key: nothing');
  writeFileSync(key, generateKey('ed25519'), { mode: 0o600 });
  const rotated = reloadConfig(current, file);
  assert.deepEqual(rotated.result.applied, ['dkim']);
  assert.notEqual(rotated.next.dkim[0]!.privateKey, current.dkim[0]!.privateKey);
  writeFileSync(file, `${BASE}${dkim}[dkim_options]\non_failure = "tempfail"\n`);
  assert.deepEqual(reloadConfig(rotated.next, file).result.applied, ['dkim_options']);
});
