import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { petrelCli } from '../lib/cli.js';
import { run } from '@petrel/testkit';
import { scenario } from '../lib/scenario.js';
import { CLI, freePort, scenarioConfig, startScenarioPetrel, testConfig } from '../lib/petrel.js';

test('[control] socket: a regular file there is refused (start and config check) and kept; a live socket refuses a second daemon; a stale one is replaced', async (t) => {
  const s = await scenario(t);
  const dir = join(s.dir, 'petrel');
  const cfg = scenarioConfig(s);

  // A regular file in the socket's place: neither `config check` nor `start` may pass or delete it.
  const precious = join(s.dir, 'precious.txt');
  writeFileSync(precious, 'operator data\n');
  const onFile = join(s.dir, 'on-file.toml');
  writeFileSync(onFile, `${cfg}\n[control]\nsocket = "${precious}"\n`);
  const check = await run(process.execPath, [CLI, 'config', 'check', onFile]);
  assert.equal(check.code, 2, check.stdout);
  assert.match(
    check.stderr,
    new RegExp(`control\\.socket: control socket ${precious.replace(/[.]/g, '\\.')}: a regular file is in the way`),
  );
  const start = await run(process.execPath, [CLI, 'start', '--config', onFile], { timeoutMs: 20_000 });
  assert.equal(start.code, 2, start.stdout + start.stderr);
  assert.match(
    start.stderr,
    new RegExp(`cannot start: control socket ${precious.replace(/[.]/g, '\\.')}: a regular file is in the way`),
  );
  assert.equal(readFileSync(precious, 'utf8'), 'operator data\n', 'the file is untouched');

  // A live socket is another daemon's: a second daemon on the same socket path is refused.
  const p = await startScenarioPetrel(s, cfg, dir);
  const sock = join(dir, 'spool', 'control.sock');
  const other = join(s.dir, 'other.toml');
  const otherPort = await freePort();
  writeFileSync(
    other,
    `${testConfig({ listenPort: otherPort, dnsServer: s.dns.server, remotePort: s.mxPort }).replace('spool_dir = "spool"', 'spool_dir = "spool2"')}\n[control]\nsocket = "${sock}"\n`,
  );
  const second = await run(process.execPath, [CLI, 'start', '--config', other], { timeoutMs: 20_000 });
  assert.notEqual(second.code, 0);
  assert.match(
    second.stderr,
    new RegExp(`control socket ${sock.replace(/[.]/g, '\\.')}: another petrel daemon is listening on it`),
  );
  const status = await petrelCli(p, ['status']);
  assert.equal(status.code, 0, `the first daemon still answers: ${status.stderr}`);

  // A stale socket (the daemon was killed) is replaced at the next start.
  await p.kill9();
  assert.ok(existsSync(sock), 'kill -9 leaves the socket behind');
  const again = await startScenarioPetrel(s, cfg, dir);
  assert.equal((await petrelCli(again, ['status'])).code, 0);
});
