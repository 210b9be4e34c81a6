import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '@petrel/testkit';
import { CLI } from '../lib/petrel.js';

// Only `config check` and `start` runs that stop before binding: tests never listen off loopback.
test('relay_networks = 0.0.0.0/0 on a non-loopback listener: refused without allow_open_relay, a loud warning with it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-relay-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'petrel.toml');
  const open =
    'spool_dir = "spool"\nlog_dir = "log"\n[listener]\nlisten = ["0.0.0.0:2525"]\nrelay_networks = ["0.0.0.0/0"]\n';
  writeFileSync(file, open);
  const refused = await run(process.execPath, [CLI, 'config', 'check', file]);
  assert.equal(refused.code, 2);
  assert.match(
    refused.stderr,
    /petrel\.toml:5: listener\.relay_networks: expected networks that do not cover every address \(relay_networks covers every IPv4 address on the non-loopback listener 0\.0\.0\.0:2525: an open relay\); set listener\.allow_open_relay = true/,
  );
  const start = await run(process.execPath, [CLI, 'start', '--config', file], { timeoutMs: 20_000 });
  assert.equal(start.code, 2);
  assert.match(start.stderr, /listener\.relay_networks: expected networks that do not cover every address/);

  writeFileSync(file, `${open}allow_open_relay = true\n`);
  const allowed = await run(process.execPath, [CLI, 'config', 'check', file]);
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.match(
    allowed.stderr,
    /^petrel: warning: .*petrel\.toml:5: listener\.relay_networks: relay_networks covers every IPv4 address on the non-loopback listener 0\.0\.0\.0:2525: an open relay, allowed by listener\.allow_open_relay = true/m,
  );
  assert.match(allowed.stdout, /petrel\.toml: ok/);
  // At start the warning comes first, before anything binds; a file in the control socket's place
  // then stops this start, so that the test never listens on a public address.
  writeFileSync(join(dir, 'blocker'), 'x');
  writeFileSync(file, `${open}allow_open_relay = true\n[control]\nsocket = "${join(dir, 'blocker')}"\n`);
  const warned = await run(process.execPath, [CLI, 'start', '--config', file], { timeoutMs: 20_000 });
  assert.notEqual(warned.code, 0);
  assert.match(warned.stdout + warned.stderr, /"level":40.*relay_networks covers every IPv4 address.*an open relay/);
});
