import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { swaks, waitForPort, run, startProc } from '@petrel/testkit';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

// README command (a) ends in `pnpm petrel start`: the embedded config/petrel.toml, 127.0.0.1:2525,
// the repository's spool/. No mail is sent: the default config resolves with the system resolver.
test('`pnpm petrel start` serves on the shipped default config, and `pnpm petrel stop` stops it', async (t) => {
  const busy = await swaks(['--server', '127.0.0.1:2525', '--quit-after', 'CONNECT', '--timeout', '2']);
  assert.notEqual(busy.code, 0, 'something else already listens on 127.0.0.1:2525');
  const daemon = startProc('pnpm', ['petrel', 'start'], { cwd: ROOT });
  t.after(() => daemon.stop());
  const exited = new Promise<number | null>((resolve) => daemon.child.once('exit', (code) => resolve(code)));
  await waitForPort('127.0.0.1', 2525, 20_000);

  const ehlo = await swaks(['--server', '127.0.0.1:2525', '--quit-after', 'EHLO', '--ehlo', 'readme.test']);
  assert.equal(ehlo.code, 0, ehlo.out);
  assert.match(ehlo.out, /<- {2}220 petrel\.test /);
  assert.match(ehlo.out, /<- {2}250-PIPELINING/);
  const relay = await swaks([
    '--server',
    '127.0.0.1:2525',
    '--quit-after',
    'RCPT',
    '--from',
    'a@test.local',
    '--to',
    'b@example.test',
  ]);
  assert.match(relay.out, /<- {2}250 2\.1\.5 /, 'loopback clients may relay');

  const stop = await run('pnpm', ['petrel', 'stop'], { timeoutMs: 30_000 });
  assert.equal(stop.code, 0, stop.stdout + stop.stderr);
  assert.equal(await exited, 0, daemon.output());
});
