import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { ManualClock, isPetrelError, type MessageEnvelope, type ReplyData, type ServiceContext } from '@petrel/core';
import { join } from 'node:path';
import { SPOOL_DB_FILE } from './database.js';
import type { Spool } from './spool.js';
import { body, envelope, job, spoolFixture } from './spool-fixture.js';

const OK: ReplyData = { code: 250, enhanced: '2.0.0', lines: ['ok'] };
const HARD: ReplyData = { code: 550, enhanced: '5.1.1', lines: ['no such user'] };
const SOFT: ReplyData = { code: 451, enhanced: '4.3.0', lines: ['try later'] };

async function storeOne(ctx: ServiceContext, rcpts: string[]): Promise<MessageEnvelope> {
  const { id } = await ctx.bus.request('spool.store', { envelope: envelope(rcpts), body: body(1) });
  return { ...envelope(rcpts, id), size: body(1).length };
}

function attempted(
  ctx: ServiceContext,
  env: MessageEnvelope,
  outcomes: [number, 'delivered' | 'transient' | 'permanent', ReplyData][],
): void {
  ctx.bus.publish('delivery.attempted', {
    job: job(
      env,
      outcomes.map(([i]) => i),
    ),
    outcomes: outcomes.map(([index, status, reply]) => ({
      index,
      status,
      reply,
      address: env.recipients[index]!.address,
      stage: 9,
    })),
    startedAt: 0,
    finishedAt: 1,
  });
}

/** The queue's deferral of recipient `index`: `attempts` so far, next attempt at 1.9e12. */
function deferred(ctx: ServiceContext, env: MessageEnvelope, index: number, attempts: number): void {
  ctx.bus.publish('delivery.deferred', {
    job: job(env, [index]),
    attempts,
    nextAttemptAt: 1_900_000_000_000,
    expiresAt: 2_000_000_000_000,
    previousAttemptAt: 0,
    reply: SOFT,
  });
}

test('delivered and permanent outcomes finish the recipients, and the message is deleted', async (t) => {
  const fx = spoolFixture(t);
  const { spool, ctx } = await fx.open();
  const env = await storeOne(ctx, ['a@example.test', 'b@example.test']);
  attempted(ctx, env, [[0, 'delivered', OK]]);
  await spool.flush();
  assert.deepEqual(await ctx.bus.request('spool.body', { id: env.id }), body(1), 'one recipient still pending: kept');
  assert.equal(spool.stats().pendingRecipients, 1);
  attempted(ctx, env, [[1, 'permanent', HARD]]);
  await spool.flush();
  await assert.rejects(ctx.bus.request('spool.body', { id: env.id }), (e: unknown) =>
    isPetrelError(e, 'PETREL_ERR_SPOOL_NOT_FOUND'),
  );
  assert.deepEqual(
    { ...spool.stats(), storeCommits: 0, stored: 0 },
    { messages: 0, pendingRecipients: 0, bytes: 0, storeCommits: 0, outcomeCommits: 2, stored: 0, outcomeBacklog: 0 },
  );
});

test('outcomes published in one turn are written in one transaction, after the turn', async (t) => {
  const fx = spoolFixture(t);
  const { spool, ctx } = await fx.open();
  const envs = await Promise.all(Array.from({ length: 50 }, () => storeOne(ctx, ['a@example.test'])));
  for (const env of envs) attempted(ctx, env, [[0, 'delivered', OK]]);
  assert.equal(spool.stats().messages, 50, 'not written synchronously');
  await new Promise<void>((resolve) => {
    setImmediate(resolve);
  });
  await spool.flush();
  assert.equal(spool.stats().outcomeCommits, 1);
  assert.equal(spool.stats().messages, 0);
});

test('transient + deferred are persisted and replayed after a restart with attempts and next attempt time', async (t) => {
  const fx = spoolFixture(t);
  const first = await fx.open();
  const env = await storeOne(first.ctx, ['a@example.test', 'b@example.test']);
  attempted(first.ctx, env, [
    [0, 'delivered', OK],
    [1, 'transient', SOFT],
  ]);
  deferred(first.ctx, env, 1, 3);
  await first.spool.stop();

  const second = await fx.open();
  const result = await second.spool.recover();
  assert.equal(result.messages, 1);
  assert.equal(second.spooled.length, 1);
  const replayed = second.spooled[0]!;
  assert.equal(replayed.recovered, true);
  assert.equal(replayed.envelope.id, env.id);
  assert.deepEqual(replayed.pending, [{ index: 1, attempts: 3, nextAttemptAt: 1_900_000_000_000, lastReply: SOFT }]);
});

test('a transient outcome alone counts the attempt and keeps its reply', async (t) => {
  const fx = spoolFixture(t);
  const first = await fx.open();
  const env = await storeOne(first.ctx, ['a@example.test']);
  attempted(first.ctx, env, [[0, 'transient', SOFT]]);
  attempted(first.ctx, env, [[0, 'transient', SOFT]]);
  await first.spool.stop();
  const second = await fx.open();
  await second.spool.recover();
  assert.deepEqual(second.spooled[0]?.pending, [{ index: 0, attempts: 2, nextAttemptAt: 0, lastReply: SOFT }]);
});

test('delivery.failed finishes the named recipients and deletes the finished message', async (t) => {
  const fx = spoolFixture(t);
  const { spool, ctx } = await fx.open();
  const env = await storeOne(ctx, ['a@example.test', 'b@example.test']);
  const expired: ReplyData = { code: 554, enhanced: '5.4.7', lines: ['message expired'] };
  ctx.bus.publish('delivery.failed', { job: job(env, [0, 1]), indexes: [0], reply: expired, reason: 'expiration' });
  await spool.flush();
  assert.equal(spool.stats().pendingRecipients, 1);
  ctx.bus.publish('delivery.failed', { job: job(env, [0, 1]), indexes: [1], reply: expired, reason: 'expiration' });
  await spool.flush();
  assert.equal(spool.stats().messages, 0);
  await assert.rejects(ctx.bus.request('spool.body', { id: env.id }), (e: unknown) =>
    isPetrelError(e, 'PETREL_ERR_SPOOL_NOT_FOUND'),
  );
});

test('a repeated final outcome is harmless (at-least-once redelivery)', async (t) => {
  const fx = spoolFixture(t);
  const { spool, ctx } = await fx.open();
  const env = await storeOne(ctx, ['a@example.test']);
  attempted(ctx, env, [[0, 'delivered', OK]]);
  attempted(ctx, env, [[0, 'delivered', OK]]);
  await spool.flush();
  attempted(ctx, env, [[0, 'permanent', HARD]]);
  await spool.flush();
  assert.deepEqual([spool.stats().messages, spool.stats().pendingRecipients, spool.stats().bytes], [0, 0, 0]);
});

test('a failed outcome write is kept and retried after a second, then the message is deleted', async (t) => {
  const fx = spoolFixture(t);
  const clock = new ManualClock();
  const { spool, ctx } = await fx.open({ writer: 'inline' }, clock);
  const env = await storeOne(ctx, ['a@example.test']);
  // A real write failure: another process holds the write lock, so the outcome transaction gives
  // up with SQLITE_BUSY (better-sqlite3's 5 s busy timeout) and rolls back.
  const holder = new Database(join(fx.spoolDir, SPOOL_DB_FILE));
  fx.onCleanup(() => holder.close());
  holder.exec('BEGIN IMMEDIATE');
  attempted(ctx, env, [[0, 'delivered', OK]]);
  await spool.flush();
  assert.equal(spool.stats().outcomeBacklog, 1);
  assert.equal(spool.stats().messages, 1, 'rolled back: still in the spool');
  holder.exec('ROLLBACK');
  clock.advance(1000);
  await new Promise<void>((resolve) => {
    // The retry timer sent the backlog; the inline write settles within this turn.
    setImmediate(resolve);
  });
  assert.equal(spool.stats().outcomeBacklog, 0);
  assert.equal(spool.stats().messages, 0);
});

/** Lets the held requests be asked and the outcomes queued so far be written. */
async function settle(spool: Spool): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  await spool.flush();
}

/** A bounce.settled handler the test answers: each question waits for `answer`. */
function bounceService(ctx: ServiceContext): { asked: string[]; answer: (stored: boolean) => void } {
  const asked: string[] = [];
  const waiting: ((stored: boolean) => void)[] = [];
  ctx.bus.handle('bounce.settled', ({ messageIds }) => {
    asked.push(...messageIds);
    return new Promise<readonly string[]>((resolve) => waiting.push((stored) => resolve(stored ? [] : messageIds)));
  });
  return {
    asked,
    answer: (stored) => {
      for (const resolve of waiting.splice(0)) resolve(stored);
    },
  };
}

test('a failure is written only once its DSN is stored; the same attempt’s delivery at once', async (t) => {
  const fx = spoolFixture(t);
  const { spool, ctx } = await fx.open();
  const dsn = bounceService(ctx);
  const env = await storeOne(ctx, ['a@example.test', 'b@example.test']);
  attempted(ctx, env, [
    [0, 'delivered', OK],
    [1, 'permanent', HARD],
  ]);
  await spool.flush();
  assert.deepEqual(dsn.asked, [env.id]);
  assert.equal(spool.stats().pendingRecipients, 1, 'the delivery is written, the failure waits for its DSN');
  assert.deepEqual(await ctx.bus.request('spool.body', { id: env.id }), body(1), 'the message stays for its DSN');
  dsn.answer(true);
  await settle(spool);
  assert.equal(spool.stats().messages, 0, 'DSN stored: the failure is written and the message deleted');
});

test('a failure whose DSN could not be stored stays pending and is tried again after a restart', async (t) => {
  const fx = spoolFixture(t);
  const first = await fx.open();
  const dsn = bounceService(first.ctx);
  const env = await storeOne(first.ctx, ['a@example.test']);
  const expired: ReplyData = { code: 554, enhanced: '5.4.7', lines: ['message expired'] };
  first.ctx.bus.publish('delivery.failed', { job: job(env, [0]), indexes: [0], reply: expired, reason: 'expiration' });
  await settle(first.spool);
  dsn.answer(false);
  await first.spool.stop();
  const second = await fx.open();
  await second.spool.recover();
  assert.deepEqual(
    second.spooled.map((s) => [s.envelope.id, (s.pending ?? []).map((p) => p.index)]),
    [[env.id, [0]]],
  );
});

test('stop waits for failures held for their DSN, and writes them', async (t) => {
  const fx = spoolFixture(t);
  const first = await fx.open();
  const dsn = bounceService(first.ctx);
  const env = await storeOne(first.ctx, ['a@example.test']);
  attempted(first.ctx, env, [[0, 'permanent', HARD]]);
  await settle(first.spool);
  let stopped = false;
  const stopping = first.spool.stop().then(() => (stopped = true));
  await settle(first.spool);
  assert.equal(stopped, false, 'stop waits for the DSN');
  dsn.answer(true);
  await stopping;
  const second = await fx.open();
  assert.equal((await second.spool.recover()).messages, 0, 'the failure was written before the spool closed');
});

test('a deferral is written once its delay DSN is stored: before that a restart finds the old schedule', async (t) => {
  const fx = spoolFixture(t);
  const first = await fx.open();
  const dsn = bounceService(first.ctx);
  const env = await storeOne(first.ctx, ['a@example.test']);
  deferred(first.ctx, env, 0, 4);
  await settle(first.spool);
  const db = new Database(join(fx.spoolDir, SPOOL_DB_FILE), { readonly: true });
  const row = (): unknown => db.prepare('SELECT attempts, next_attempt_at FROM recipients').get();
  assert.deepEqual(row(), { attempts: 0, next_attempt_at: 0 }, 'held while its delay DSN is stored');
  dsn.answer(true);
  await settle(first.spool);
  assert.deepEqual(row(), { attempts: 4, next_attempt_at: 1_900_000_000_000 });
  db.close();
});

test('the failures of one turn are asked about in one request, each message once', async (t) => {
  const fx = spoolFixture(t);
  const { spool, ctx } = await fx.open();
  const dsn = bounceService(ctx);
  const envs = await Promise.all(Array.from({ length: 20 }, () => storeOne(ctx, ['a@example.test', 'b@example.test'])));
  for (const env of envs) {
    attempted(ctx, env, [[0, 'permanent', HARD]]);
    attempted(ctx, env, [[1, 'permanent', HARD]]);
  }
  await settle(spool);
  assert.deepEqual(
    dsn.asked,
    envs.map((e) => e.id),
    'one request, each message once',
  );
  assert.equal(spool.stats().messages, 20, 'all held');
  dsn.answer(true);
  await settle(spool);
  assert.equal(spool.stats().messages, 0);
});
