import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ManualClock, PetrelError, isPetrelError } from '@petrel/core';
import { SPOOL_DB_FILE } from './database.js';
import { toSpoolError } from './sqlite-errors.js';
import { body, envelope, spoolFixture } from './spool-fixture.js';

test('spool.store resolves only after the commit: the row is visible to a second connection', async (t) => {
  const fx = spoolFixture(t);
  const { ctx } = await fx.open();
  const other = new Database(join(fx.spoolDir, SPOOL_DB_FILE), { readonly: true });
  fx.onCleanup(() => other.close());
  const find = other.prepare<[string], { id: string; size: number }>('SELECT id, size FROM messages WHERE id = ?');
  const countAll = other.prepare<[], number>('SELECT count(*) FROM messages').pluck();

  const pending = ctx.bus.request('spool.store', { envelope: envelope(), body: body(1) });
  // Still queued for this turn's group commit: nothing on disk yet.
  assert.equal(countAll.get(), 0);
  const { id } = await pending;
  assert.deepEqual(find.get(id), { id, size: body(1).length });
});

test('concurrent stores share commits: 300 messages in far fewer than 300 transactions', async (t) => {
  const fx = spoolFixture(t);
  const { spool, ctx, spooled } = await fx.open({ maxBatchSize: 100 });
  const ids = await Promise.all(
    Array.from({ length: 300 }, (_, i) => ctx.bus.request('spool.store', { envelope: envelope(), body: body(i) })),
  );
  assert.equal(new Set(ids.map((r) => r.id)).size, 300);
  const s = spool.stats();
  assert.equal(s.storeCommits, 3, 'one transaction per maxBatchSize messages');
  assert.equal(s.messages, 300);
  assert.equal(s.pendingRecipients, 300);
  assert.equal(spooled.length, 300);
  assert.ok(spooled.every((e) => e.recovered === false && e.pending === undefined));
});

test('assigns an id when the envelope has none and keeps a given one; size is the stored size', async (t) => {
  const fx = spoolFixture(t);
  const { ctx, spooled } = await fx.open();
  const a = await ctx.bus.request('spool.store', { envelope: envelope(), body: body(1) });
  const b = await ctx.bus.request('spool.store', {
    envelope: envelope(['x@example.test'], 'GIVEN-ID-1'),
    body: body(2),
  });
  assert.match(a.id, /^[0-9A-HJKMNP-TV-Z]{26}$/);
  assert.equal(b.id, 'GIVEN-ID-1');
  assert.equal(spooled[0]?.envelope.id, a.id);
  assert.equal(spooled[1]?.envelope.size, body(2).length);
});

test('a duplicate id fails that message alone; its batch-mates are stored', async (t) => {
  const fx = spoolFixture(t);
  const { spool, ctx } = await fx.open();
  await ctx.bus.request('spool.store', { envelope: envelope(['a@example.test'], 'DUP'), body: body(0) });
  const results = await Promise.allSettled([
    ctx.bus.request('spool.store', { envelope: envelope(), body: body(1) }),
    ctx.bus.request('spool.store', { envelope: envelope(['a@example.test'], 'DUP'), body: body(2) }),
    ctx.bus.request('spool.store', { envelope: envelope(), body: body(3) }),
  ]);
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled'],
  );
  const err = (results[1] as PromiseRejectedResult).reason as unknown;
  assert.ok(isPetrelError(err, 'PETREL_ERR_SPOOL_WRITE'));
  assert.equal(err.details.reason, 'duplicate');
  assert.equal(spool.stats().messages, 3);
  assert.deepEqual(await ctx.bus.request('spool.body', { id: 'DUP' }), body(0), 'the first copy is untouched');
});

test('spool.body returns the exact stored bytes, and NOT_FOUND for an unknown id', async (t) => {
  const fx = spoolFixture(t);
  const { ctx } = await fx.open();
  // Every byte value, plus a size past one SQLite page.
  const bytes = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.alloc(70_000, 0x2e)]);
  const { id } = await ctx.bus.request('spool.store', { envelope: envelope(), body: bytes });
  assert.ok((await ctx.bus.request('spool.body', { id })).equals(bytes));
  await assert.rejects(ctx.bus.request('spool.body', { id: 'NO-SUCH-ID' }), (e: unknown) =>
    isPetrelError(e, 'PETREL_ERR_SPOOL_NOT_FOUND'),
  );
});

test('a failed commit rejects the whole batch with SPOOL_WRITE, stores and publishes nothing, and later stores work', async (t) => {
  const fx = spoolFixture(t);
  const { spool, ctx, spooled } = await fx.open();
  // A real write failure: another process holds the database's write lock, so the spool's
  // IMMEDIATE transaction gives up with SQLITE_BUSY (better-sqlite3's 5 s busy timeout).
  const holder = new Database(join(fx.spoolDir, SPOOL_DB_FILE));
  fx.onCleanup(() => holder.close());
  holder.exec('BEGIN IMMEDIATE');
  const failed = await Promise.allSettled(
    [1, 2].map((n) => ctx.bus.request('spool.store', { envelope: envelope(), body: body(n) })),
  );
  for (const r of failed) {
    assert.equal(r.status, 'rejected');
    const err = r.reason as unknown;
    assert.ok(err instanceof PetrelError);
    assert.equal(err.code, 'PETREL_ERR_SPOOL_WRITE');
    assert.equal(err.details.sqlite, 'SQLITE_BUSY');
  }
  assert.equal(spooled.length, 0, 'a rolled-back message never reaches a queue');
  assert.equal(spool.stats().messages, 0);
  holder.exec('ROLLBACK');
  const ok = await ctx.bus.request('spool.store', { envelope: envelope(), body: body(3) });
  assert.equal(spooled.length, 1);
  assert.equal(spooled[0]?.envelope.id, ok.id);
  assert.equal(spool.stats().messages, 1);
});

// A disk that really fills during a commit is test/e2e/spool-disk-full (a tmpfs); here, the mapping.
test('a full disk (SQLITE_FULL, ENOSPC) is SPOOL_FULL; any other write failure is SPOOL_WRITE', () => {
  assert.ok(
    isPetrelError(
      toSpoolError(new Database.SqliteError('database or disk is full', 'SQLITE_FULL'), 'store'),
      'PETREL_ERR_SPOOL_FULL',
    ),
  );
  assert.ok(
    isPetrelError(
      toSpoolError(Object.assign(new Error('no space'), { code: 'ENOSPC' }), 'store'),
      'PETREL_ERR_SPOOL_FULL',
    ),
  );
  assert.ok(
    isPetrelError(
      toSpoolError(new Database.SqliteError('disk I/O error', 'SQLITE_IOERR_WRITE'), 'store'),
      'PETREL_ERR_SPOOL_WRITE',
    ),
  );
});

test('refuses with SPOOL_FULL below the free-space minimum, and re-reads statfs at most once a second', async (t) => {
  const fx = spoolFixture(t);
  const clock = new ManualClock();
  let free = 10;
  let probes = 0;
  const probe = (): number => {
    probes++;
    return free;
  };
  const { spool, ctx } = await fx.open({ minFreeSpace: 1000, freeSpaceProbe: probe, outcomeReserve: 0 }, clock);
  const store = (): Promise<unknown> => ctx.bus.request('spool.store', { envelope: envelope(), body: body(1) });
  await assert.rejects(store(), (e: unknown) => isPetrelError(e, 'PETREL_ERR_SPOOL_FULL') && e.details.free === 10);
  free = 1_000_000;
  await assert.rejects(
    store(),
    (e: unknown) => isPetrelError(e, 'PETREL_ERR_SPOOL_FULL'),
    'still the cached figure within the second',
  );
  assert.equal(probes, 1);
  clock.advance(1000);
  await store();
  assert.equal(probes, 2);
  assert.equal(spool.stats().messages, 1);
});

test('the real statfs probe accepts mail on a disk with room (default minimum 100 MB)', async (t) => {
  const fx = spoolFixture(t);
  const { ctx } = await fx.open();
  await ctx.bus.request('spool.store', { envelope: envelope(), body: body(1) });
  const { ctx: ctx2 } = await fx.open({ minFreeSpace: Number.MAX_SAFE_INTEGER }, undefined, join(fx.root, 'other'));
  await assert.rejects(ctx2.bus.request('spool.store', { envelope: envelope(), body: body(1) }), (e: unknown) =>
    isPetrelError(e, 'PETREL_ERR_SPOOL_FULL'),
  );
  // The outcome reserve is never written where it would break the minimum (it once filled the disk).
  assert.equal(existsSync(join(fx.root, 'other', 'spool.reserve')), false);
});

test('creates the spool directory 0700 and the database files 0600', async (t) => {
  const fx = spoolFixture(t);
  const { ctx } = await fx.open();
  await ctx.bus.request('spool.store', { envelope: envelope(), body: body(1) });
  assert.equal(statSync(fx.spoolDir).mode & 0o777, 0o700);
  for (const f of [SPOOL_DB_FILE, `${SPOOL_DB_FILE}-wal`, `${SPOOL_DB_FILE}-shm`]) {
    assert.equal(statSync(join(fx.spoolDir, f)).mode & 0o777, 0o600, f);
  }
});

test('stop() commits stores still queued for the next turn, then refuses new ones', async (t) => {
  const fx = spoolFixture(t);
  const { spool, ctx } = await fx.open();
  const queued = ctx.bus.request('spool.store', { envelope: envelope(), body: body(1) });
  await spool.stop();
  const { id } = await queued;
  await assert.rejects(ctx.bus.request('spool.store', { envelope: envelope(), body: body(2) }), (e: unknown) =>
    isPetrelError(e, 'PETREL_ERR_BUS_NO_HANDLER'),
  );
  const { ctx: ctx2 } = await fx.open();
  assert.deepEqual(await ctx2.bus.request('spool.body', { id }), body(1));
});
