import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SPOOL_DB_FILE } from './database.js';
import { body, envelope, job, spoolFixture } from './spool-fixture.js';

test('a stored message survives a new Spool on the same directory and is replayed with recovered=true', async (t) => {
  const fx = spoolFixture(t);
  const first = await fx.open();
  const { id } = await first.ctx.bus.request('spool.store', {
    envelope: envelope(['a@example.test', 'b@example.test']),
    body: body(7),
  });
  await first.spool.stop();

  const second = await fx.open();
  assert.equal(second.spooled.length, 0, 'nothing replayed before system.ready');
  assert.equal(second.spool.stats().messages, 0, 'counted as the replay reads it, not by a scan at start');
  second.ctx.bus.publish('system.ready', { time: Date.now() });
  const result = await second.spool.recover();
  assert.deepEqual([second.spool.stats().messages, second.spool.stats().pendingRecipients], [1, 2]);
  assert.equal(result.messages, 1);
  assert.equal(result.recipients, 2);
  assert.equal(second.spooled.length, 1, 'system.ready and recover() share one replay');
  const e = second.spooled[0]!;
  assert.equal(e.recovered, true);
  assert.equal(e.envelope.id, id);
  assert.deepEqual(
    e.envelope.recipients.map((r) => r.address),
    ['a@example.test', 'b@example.test'],
  );
  assert.deepEqual(e.pending, [
    { index: 0, attempts: 0, nextAttemptAt: 0 },
    { index: 1, attempts: 0, nextAttemptAt: 0 },
  ]);
  assert.deepEqual(await second.ctx.bus.request('spool.body', { id }), body(7));
});

test('recovery deletes messages with no pending recipient instead of publishing them', async (t) => {
  const fx = spoolFixture(t);
  const first = await fx.open();
  const { id: keep } = await first.ctx.bus.request('spool.store', { envelope: envelope(), body: body(1) });
  const { id: done } = await first.ctx.bus.request('spool.store', { envelope: envelope(), body: body(2) });
  await first.spool.stop();
  // A crash between the last outcome and the delete leaves exactly this state.
  const raw = new Database(join(fx.spoolDir, SPOOL_DB_FILE));
  raw.prepare("UPDATE recipients SET status = 'delivered' WHERE message_id = ?").run(done);
  raw.close();

  const second = await fx.open();
  const result = await second.spool.recover();
  assert.deepEqual([result.messages, result.deleted], [1, 1]);
  assert.deepEqual(
    second.spooled.map((e) => e.envelope.id),
    [keep],
  );
  assert.equal(second.spool.stats().messages, 1);
  await assert.rejects(second.ctx.bus.request('spool.body', { id: done }));
});

/** A spool left with 30 stored messages, opened again (`second`) with a replay of 10 messages per chunk. */
async function reopenedWith30(t: TestContext) {
  const fx = spoolFixture(t);
  const first = await fx.open();
  await Promise.all(
    Array.from({ length: 30 }, (_, i) => first.ctx.bus.request('spool.store', { envelope: envelope(), body: body(i) })),
  );
  await first.spool.stop();
  return { fx, second: await fx.open({ recoveryChunkSize: 10 }) };
}

test('a message stored while the replay runs is published once, as new, not replayed', async (t) => {
  const { second } = await reopenedWith30(t);
  const recovering = second.spool.recover();
  const { id } = await second.ctx.bus.request('spool.store', { envelope: envelope(), body: body(99) });
  const result = await recovering;
  assert.equal(result.messages, 30);
  const mine = second.spooled.filter((e) => e.envelope.id === id);
  assert.deepEqual(
    mine.map((e) => e.recovered),
    [false],
  );
});

test('recovery of 20,000 messages streams in chunks: subscribers see events while the replay is still running', async (t) => {
  const fx = spoolFixture(t);
  const N = 20_000;
  const first = await fx.open({ maxBatchSize: 1000 });
  const storeStart = performance.now();
  await Promise.all(
    Array.from({ length: N }, (_, i) => first.ctx.bus.request('spool.store', { envelope: envelope(), body: body(i) })),
  );
  const storeMs = performance.now() - storeStart;
  // Finish some recipients so the replay also carries persisted state.
  const sample = first.spooled.slice(0, 100);
  for (const e of sample)
    first.ctx.bus.publish('delivery.deferred', {
      job: job(e.envelope, [0]),
      attempts: 1,
      nextAttemptAt: 42,
      expiresAt: 100,
      previousAttemptAt: 0,
      reply: { code: 451, lines: ['later'] },
    });
  await first.spool.stop();

  const second = await fx.open({ recoveryChunkSize: 500 });
  let seenAtFirstTurn = -1;
  let turns = 0;
  let done = false;
  // Counts event-loop turns during the replay; bounded by the replay's end.
  const tick = (): void => {
    if (done) return;
    turns++;
    if (seenAtFirstTurn < 0) seenAtFirstTurn = second.spooled.length;
    setImmediate(tick);
  };
  const recovering = second.spool.recover();
  setImmediate(tick);
  const result = await recovering;
  done = true;
  assert.equal(result.messages, N);
  assert.equal(second.spooled.length, N);
  assert.ok(
    seenAtFirstTurn > 0 && seenAtFirstTurn < N,
    `events before the replay ended (seen ${seenAtFirstTurn} at the first turn)`,
  );
  assert.ok(turns >= N / 500 - 1, `the event loop turned between chunks (${turns} turns)`);
  assert.ok(second.spooled.every((e) => e.recovered));
  assert.deepEqual(second.spooled[0]?.pending, [
    { index: 0, attempts: 1, nextAttemptAt: 42, lastReply: { code: 451, lines: ['later'] } },
  ]);
  t.diagnostic(
    `stored ${N} in ${storeMs.toFixed(0)} ms; recovered in ${result.durationMs.toFixed(0)} ms (${Math.round(N / (result.durationMs / 1000))} msg/s)`,
  );
});

test('stop() during a replay ends it at the next chunk', async (t) => {
  const fx = spoolFixture(t);
  const first = await fx.open();
  await Promise.all(
    Array.from({ length: 100 }, (_, i) =>
      first.ctx.bus.request('spool.store', { envelope: envelope(), body: body(i) }),
    ),
  );
  await first.spool.stop();
  const second = await fx.open({ recoveryChunkSize: 10 });
  const recovering = second.spool.recover();
  await second.spool.stop();
  const result = await recovering;
  assert.equal(result.aborted, true);
  assert.ok(result.messages < 100);
});

test('between chunks the replay holds no snapshot: a checkpoint meanwhile restarts the WAL', async (t) => {
  const { fx, second } = await reopenedWith30(t);
  // Another connection writes and checkpoints right after the first chunk (its turn comes before
  // the replay's next chunk). A snapshot held across the replay kept the WAL from restarting: at
  // 10⁷ queued it grew by every write made during most of an hour.
  const raw = new Database(join(fx.spoolDir, SPOOL_DB_FILE), { timeout: 0 });
  t.after(() => raw.close());
  let checkpoint: { busy: number; log: number } | undefined;
  let seen = 0;
  second.ctx.bus.subscribe('message.spooled', () => {
    if (++seen !== 10) return;
    setImmediate(() => {
      raw.prepare('INSERT INTO records (key, value, updated_at) VALUES (?, ?, ?)').run('between-chunks', '{}', 0);
      checkpoint = (raw.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number }[])[0];
    });
  });
  const result = await second.spool.recover();
  assert.equal(result.messages, 30);
  assert.deepEqual(checkpoint, { busy: 0, log: 0, checkpointed: 0 });
  // Each message replayed once.
  assert.equal(new Set(second.spooled.map((e) => e.envelope.id)).size, 30);
});
