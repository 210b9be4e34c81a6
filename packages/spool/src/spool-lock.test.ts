import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { isPetrelError } from '@petrel/core';
import { spoolFixture } from './spool-fixture.js';
import { acquireSpoolLock } from './spool-lock.js';

test('a second Spool on the same directory is refused with PETREL_ERR_SPOOL_LOCKED naming the directory and pid; free again after stop', async (t) => {
  const fx = spoolFixture(t);
  const first = await fx.open({ minFreeSpace: 0 });
  await assert.rejects(fx.open({ minFreeSpace: 0 }), (err: unknown) => {
    assert.ok(isPetrelError(err, 'PETREL_ERR_SPOOL_LOCKED'), String(err));
    assert.match(err.message, new RegExp(`${fx.spoolDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*pid ${process.pid}`));
    assert.equal(err.details.pid, process.pid);
    return true;
  });
  await first.spool.stop();
  const again = await fx.open({ minFreeSpace: 0 });
  assert.equal(again.spool.stats().messages, 0);
});

test('a lock held by another process refuses; after that process is killed with SIGKILL the lock is free', async (t) => {
  const fx = spoolFixture(t);
  const lockModule = new URL('./spool-lock.js', import.meta.url).href;
  const script = `import { acquireSpoolLock } from ${JSON.stringify(lockModule)};
acquireSpoolLock(${JSON.stringify(fx.spoolDir)});
process.stdout.write('locked\\n');
setInterval(() => undefined, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => void child.kill('SIGKILL'));
  child.stdout.setEncoding('utf8');
  const [line] = (await once(child.stdout, 'data')) as [string];
  assert.equal(line, 'locked\n');

  assert.throws(
    () => acquireSpoolLock(fx.spoolDir),
    (err: unknown) => isPetrelError(err, 'PETREL_ERR_SPOOL_LOCKED') && err.details.pid === child.pid,
  );

  child.kill('SIGKILL');
  await once(child, 'exit');
  const lock = acquireSpoolLock(fx.spoolDir);
  lock.release();
});
