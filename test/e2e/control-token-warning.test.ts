import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { scenario } from '../lib/scenario.js';
import { freePort, scenarioConfig, startScenarioPetrel } from '../lib/petrel.js';

test('no "[control] token … world-readable" warning when no token is set; still warned when one is', async (t) => {
  const s = await scenario(t);
  const cfg = scenarioConfig(s);
  // The config files are written with the usual umask, so every local user can read them.
  const umask = process.umask(0o022);
  t.after(() => void process.umask(umask));
  const p = await startScenarioPetrel(s, cfg);
  assert.notEqual(statSync(p.configFile).mode & 0o004, 0, 'the config file is world-readable');
  await p.stop();
  // The daemon logs at warn level (testConfig), so the warning would be in its output.
  assert.doesNotMatch(p.output(), /token/);

  const q = await startScenarioPetrel(
    s,
    `${cfg}\n[control]\nlisten = "127.0.0.1:${await freePort()}"\ntoken = "s3cret"\n`,
    join(s.dir, 'petrel-token'),
  );
  await q.stop();
  assert.match(q.output(), /contains the \[control\] token and is world-readable/);
});
