import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@petrel/core';
import { reloadConfig } from './reload.js';

const BASE = `hostname = "petrel.test"
[global]
retry_interval = "2s"
[bounce]
classify = true
[binding.b1]
bind_address = "127.0.0.2"
`;

test('reload applies delivery options live and names every section that needs a restart, binding rules and bounce included', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-reload-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'petrel.toml');
  writeFileSync(file, BASE);
  const current = loadConfig(file);

  assert.deepEqual(reloadConfig(current, file).result, { applied: [], restartRequired: [] }, 'an unchanged file changes nothing');

  writeFileSync(file, BASE.replace('"2s"', '"7s"'));
  const live = reloadConfig(current, file);
  assert.deepEqual(live.result.restartRequired, []);
  assert.equal(live.result.applied.length, 1);
  assert.equal(live.next.delivery.policy('default', 'example.test').retry_interval, 7_000);

  writeFileSync(file, `${BASE.replace('classify = true', 'classify = false')}[listener]\nmax_recipients = 7\n[spool]\nmin_free_space = "0"\n[[binding_rule]]\nsender_domain = "x.test"\nbinding = "b1"\n`);
  assert.deepEqual(reloadConfig(current, file).result.restartRequired, ['listener', 'spool', 'bounce', 'binding_rule']);
});
