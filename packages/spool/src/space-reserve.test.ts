import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ManualClock, isPetrelError } from '@petrel/core';
import { body, envelope, spoolFixture } from './spool-fixture.js';
import { SPOOL_RESERVE_FILE } from './space-reserve.js';

// The SQLITE_FULL path itself (an outcome write on a really full file system releases the
// ballast and is retried) is driven for real in test/e2e/spool-disk-full-outcomes.test.ts (tmpfs).
test('the ballast is written at start where it leaves the minimum; without room new mail is refused until space returns', async (t) => {
  const fx = spoolFixture(t);
  const { ctx: roomy } = await fx.open({
    minFreeSpace: 1_000_000,
    outcomeReserve: 64 * 1024,
    freeSpaceProbe: () => 10_000_000,
  });
  assert.equal(statSync(join(fx.spoolDir, SPOOL_RESERVE_FILE)).size, 64 * 1024, 'the ballast is written at start');
  await roomy.bus.request('spool.store', { envelope: envelope(), body: body(1) });

  let free = 1_010_000; // the minimum is there, the minimum plus the ballast is not
  const clock = new ManualClock();
  const dir = join(fx.root, 'tight');
  const { ctx } = await fx.open(
    { minFreeSpace: 1_000_000, outcomeReserve: 64 * 1024, freeSpaceProbe: () => free },
    clock,
    dir,
  );
  const reserve = join(dir, SPOOL_RESERVE_FILE);
  assert.equal(existsSync(reserve), false, 'no ballast where it would break the minimum');
  await assert.rejects(ctx.bus.request('spool.store', { envelope: envelope(), body: body(2) }), (e: unknown) =>
    isPetrelError(e, 'PETREL_ERR_SPOOL_FULL'),
  );
  free = 10_000_000;
  clock.advance(1000); // the guard re-reads statfs at most once a second
  await ctx.bus.request('spool.store', { envelope: envelope(), body: body(3) });
  assert.equal(statSync(reserve).size, 64 * 1024, 'the ballast is written once space returns');
});
