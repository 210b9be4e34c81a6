import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { scenario } from '../lib/scenario.js';
import { CLI, type PetrelHandle, startScenarioPetrel, testConfig } from '../lib/petrel.js';
import { freePort, startProc } from '@petrel/testkit';
import { petrelJson } from '../lib/cli.js';

test('a second `petrel start` on the same spool exits non-zero naming the spool and the holder pid; the first keeps its control socket; after kill -9 a new start succeeds', async (t) => {
  const s = await scenario(t);
  const dir = join(s.dir, 'petrel');
  const cfg = (port: number): string => testConfig({ listenPort: port, dnsServer: s.dns.server, remotePort: s.mxPort });
  let first: PetrelHandle = await startScenarioPetrel(s, cfg(s.listenPort), dir);
  const { pid } = await petrelJson<{ pid: number }>(first, ['status']);

  // Same spool_dir and control socket (both relative to the config's directory), another SMTP
  // port: only the spool lock can stop it.
  const secondConfig = join(dir, 'second.toml');
  writeFileSync(secondConfig, cfg(await freePort()));
  const second = startProc(process.execPath, [CLI, 'start', '--config', secondConfig]);
  s.defer(() => second.stop('SIGKILL'));
  const [code] = (await Promise.race([
    once(second.child, 'exit'),
    new Promise((_, reject) =>
      setTimeout(() => reject(new Error(`second daemon still running:\n${second.output()}`)), 20_000),
    ),
  ])) as [number | null];
  assert.notEqual(code, 0, second.output());
  assert.ok(second.output().includes(join(dir, 'spool')), `names the spool directory:\n${second.output()}`);
  assert.match(second.output(), new RegExp(`in use by another Petrel process \\(pid ${pid}\\)`));

  // The first daemon still answers on its own control socket.
  const status = await petrelJson<{ pid: number }>(first, ['status']);
  assert.equal(status.pid, pid);

  // A lock left by a killed daemon does not block the next start.
  await first.kill9();
  first = await startScenarioPetrel(s, cfg(s.listenPort), dir);
  const again = await petrelJson<{ pid: number }>(first, ['status']);
  assert.notEqual(again.pid, pid);
});
