import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ManualClock, isPetrelError, type ReplyData } from '@petrel/core';
import { body, envelope, job, spoolFixture } from './spool-fixture.js';
import { SPOOL_RESERVE_FILE } from './space-reserve.js';

const OK: ReplyData = { code: 250, enhanced: '2.0.0', lines: ['ok'] };

test('an outcome write that finds the disk full releases the reserve and is retried at once; new mail is refused until the reserve is back', async (t) => {
  const fx = spoolFixture(t);
  let free = 10_000_000;
  let full = false;
  const clock = new ManualClock();
  const { spool, ctx } = await fx.open({
    writer: 'inline',
    minFreeSpace: 1_000_000,
    outcomeReserve: 64 * 1024,
    freeSpaceProbe: () => free,
    beforeOutcomeCommit: () => {
      if (!full) return;
      full = false; // the retry writes into the ballast's blocks
      throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    },
  }, clock);
  const reserve = join(fx.spoolDir, SPOOL_RESERVE_FILE);
  assert.equal(statSync(reserve).size, 64 * 1024, 'the ballast is written at start');

  const { id } = await ctx.bus.request('spool.store', { envelope: envelope(), body: body(1) });
  const env = { ...envelope(['bob@example.test'], id), size: body(1).length };
  // Another process takes the disk: the first outcome write fails with SQLITE_FULL; the ballast
  // goes, and the retry (into its blocks) succeeds at once, not after the 1 s retry timer.
  full = true;
  free = 0;
  ctx.bus.publish('delivery.attempted', { job: job(env, [0]), outcomes: [{ index: 0, status: 'delivered', reply: OK, address: 'bob@example.test', stage: 9 }], startedAt: 0, finishedAt: 1 });
  assert.equal(await spool.flush().then(() => spool.stats().outcomeBacklog), 0, 'written on the retry');
  assert.equal(existsSync(reserve), false, 'the ballast was released');
  assert.equal(spool.stats().messages, 0, 'the delivered message was finished and deleted');

  // While the reserve is out, new mail gets PETREL_ERR_SPOOL_FULL (the listener's 452 4.3.1).
  await assert.rejects(ctx.bus.request('spool.store', { envelope: envelope(), body: body(2) }), (e: unknown) => isPetrelError(e, 'PETREL_ERR_SPOOL_FULL'));
  // Space returns: the next message writes the reserve again and is accepted.
  free = 10_000_000;
  clock.advance(1000); // the guard re-reads statfs at most once a second
  await ctx.bus.request('spool.store', { envelope: envelope(), body: body(3) });
  assert.equal(statSync(reserve).size, 64 * 1024, 'the ballast is back');
});
