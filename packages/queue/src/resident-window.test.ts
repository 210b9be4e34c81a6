import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeliveryJob } from '@petrel/core';
import { harness, makeJob, nextTurn, S, type Harness } from './test-support.js';

const total = async (h: Harness, domain?: string): Promise<{ active: number; delayed: number }> => {
  const counts = await h.bus.request('queue.counts', domain === undefined ? {} : { domain });
  return {
    active: counts.reduce((n, c) => n + c.active, 0),
    delayed: counts.reduce((n, c) => n + c.delayed, 0),
  };
};

/**
 * Takes and delivers every job of `domains` round-robin, checking the resident cap after every
 * step; returns the message ids in the order they were delivered.
 */
async function drain(h: Harness, domains: readonly string[], cap: number, maxSteps: number): Promise<string[]> {
  const delivered: string[] = [];
  for (let step = 0; step < maxSteps; step++) {
    let took = 0;
    for (const d of domains) {
      const job = await h.take(d);
      assert.ok(h.queue.resident <= cap, `resident ${h.queue.resident} > ${cap} at step ${step}`);
      if (job === null) continue;
      took++;
      h.attempt(job, 'delivered');
      delivered.push(job.messageId);
      assert.ok(h.queue.resident <= cap, `resident ${h.queue.resident} > ${cap} after a delivery`);
    }
    if (took === 0) break;
  }
  return delivered;
}

test('a queue far larger than its window keeps at most the window in memory and delivers each job once', async () => {
  const h = await harness('[domain."big.test"]\nmax_resident_active_queue = 10\n');
  const sent: string[] = [];
  for (let i = 0; i < 1000; i++) {
    const job = makeJob({ domain: 'big.test', receivedAt: h.t0 });
    sent.push(job.messageId);
    h.route(job);
    assert.ok(h.queue.resident <= 10, `resident ${h.queue.resident} after ${i + 1} jobs`);
  }
  assert.deepEqual(await total(h), { active: 1000, delayed: 0 }, 'counts include the swapped jobs');
  await nextTurn();
  assert.equal(h.demand.at(-1)?.active, 1000, 'the connection goal sees the whole backlog');
  const delivered = await drain(h, ['big.test'], 10, 2000);
  assert.deepEqual(delivered, sent, 'every job once, in arrival order');
  assert.deepEqual(await total(h), { active: 0, delayed: 0 });
  await h.queue.stop();
});

test('max_resident_messages caps all queues together, and every queue is paged in as others drain', async () => {
  const h = await harness('max_resident_messages = 50\n[global]\nmax_resident_active_queue = 25\n');
  const domains = Array.from({ length: 20 }, (_, i) => `d${i}.test`);
  const sent = new Set<string>();
  for (let i = 0; i < 100; i++)
    for (const domain of domains) {
      const job = makeJob({ domain, receivedAt: h.t0 });
      sent.add(job.messageId);
      h.route(job);
      assert.ok(h.queue.resident <= 50);
    }
  assert.equal((await total(h)).active, 2000);
  const delivered = await drain(h, domains, 50, 5000);
  assert.equal(delivered.length, 2000);
  assert.deepEqual(new Set(delivered), sent, 'none skipped, none twice');
  await h.queue.stop();
});

test('due jobs are not held back behind a window full of deferred ones', async () => {
  const h = await harness('[domain."mixed.test"]\nmax_resident_active_queue = 10\nretry_interval = "1h"\n');
  const first: DeliveryJob[] = [];
  for (let i = 0; i < 10; i++) h.route(makeJob({ domain: 'mixed.test', receivedAt: h.t0 }));
  for (let i = 0; i < 10; i++) first.push((await h.take('mixed.test'))!);
  for (const job of first) h.attempt(job, 'transient');
  assert.deepEqual(await total(h), { active: 0, delayed: 10 }, 'the window is full of deferred jobs');
  const fresh = Array.from({ length: 30 }, () => makeJob({ domain: 'mixed.test', receivedAt: h.t0 }));
  for (const job of fresh) h.route(job);
  assert.ok(h.queue.resident <= 10);
  const delivered = await drain(h, ['mixed.test'], 10, 100);
  assert.deepEqual(
    delivered,
    fresh.map((j) => j.messageId),
    'the fresh jobs go now, in order',
  );
  assert.deepEqual(await total(h), { active: 0, delayed: 10 }, 'the deferred ones still wait');
  h.clock.advance(3600 * S);
  await nextTurn();
  const retried = await drain(h, ['mixed.test'], 10, 100);
  assert.deepEqual(new Set(retried), new Set(first.map((j) => j.messageId)), 'and come back at their time');
  await h.queue.stop();
});

test('a suspended queue larger than its window is counted whole and drains once resumed', async () => {
  const h = await harness('[domain."held.test"]\nmax_resident_active_queue = 10\n');
  await h.bus.request('queue.suspend', { domain: 'held.test' });
  const sent: string[] = [];
  for (let i = 0; i < 200; i++) {
    const job = makeJob({ domain: 'held.test', receivedAt: h.t0 });
    sent.push(job.messageId);
    h.route(job);
  }
  assert.ok(h.queue.resident <= 10);
  assert.equal((await total(h)).active + (await total(h)).delayed, 200);
  assert.equal(await h.take('held.test'), null, 'nothing is handed out while suspended');
  const listed = await h.bus.request('queue.jobs', { domain: 'held.test', limit: 500 });
  assert.deepEqual(listed.map((j) => j.messageId).sort(), [...sent].sort(), 'showqueue lists swapped jobs too');
  await h.bus.request('queue.resume', { domain: 'held.test' });
  assert.deepEqual(await total(h, 'held.test'), { active: 200, delayed: 0 }, 'released mail counts as active');
  const delivered = await drain(h, ['held.test'], 10, 1000);
  assert.deepEqual(new Set(delivered), new Set(sent));
  assert.equal(delivered.length, 200);
  await h.queue.stop();
});

test('fail and reroute reach the swapped jobs; a dry run counts them without moving them', async () => {
  const h = await harness('[global]\nmax_resident_active_queue = 5\n');
  for (let i = 0; i < 50; i++) h.route(makeJob({ domain: 'gone.test', receivedAt: h.t0 }));
  for (let i = 0; i < 40; i++) h.route(makeJob({ domain: 'old.test', receivedAt: h.t0 }));
  assert.deepEqual(await h.bus.request('queue.fail', { domain: 'gone.test', dryRun: true }), { failed: 50 });
  assert.equal((await total(h, 'gone.test')).active, 50);
  assert.deepEqual(await h.bus.request('queue.fail', { domain: 'gone.test' }), { failed: 50 });
  assert.equal(h.failed.length, 50);
  assert.equal(new Set(h.failed.map((f) => f.job.messageId)).size, 50);
  assert.deepEqual(await h.bus.request('queue.reroute', { from: 'old.test', to: 'new.test' }), { moved: 40 });
  assert.deepEqual(await total(h, 'old.test'), { active: 0, delayed: 0 });
  assert.equal((await total(h, 'new.test')).active, 40);
  assert.equal((await drain(h, ['new.test'], 10, 100)).length, 40);
  assert.ok(h.queue.resident <= 5);
  await h.queue.stop();
});

test('queue shape counts recipients by age from counters, swapped jobs and partial requeues included', async () => {
  const h = await harness('[global]\nmax_resident_active_queue = 5\n');
  for (let i = 0; i < 100; i++) h.route(makeJob({ domain: 'shape.test', receivedAt: h.t0, rcpts: 2 }));
  h.clock.advance(600 * S);
  for (let i = 0; i < 50; i++) h.route(makeJob({ domain: 'shape.test', receivedAt: h.clock.now(), rcpts: 2 }));
  const job = (await h.take('shape.test'))!;
  h.attempt(job, ['delivered', 'transient']);
  const shape = await h.bus.request('queue.shape', { domain: 'shape.test', bounds: [300 * S] });
  assert.deepEqual(shape, [{ binding: 'default', domain: 'shape.test', recipients: 299, byAge: [100, 199] }]);
  await h.queue.stop();
});

test('a swap file that cannot be written keeps the jobs in memory: over the window, never lost', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'petrel-swap-bad-')), 'not-a-dir');
  writeFileSync(file, '');
  const h = await harness('[global]\nmax_resident_active_queue = 5\n', { swapDir: join(file, 'swap') });
  const sent = Array.from({ length: 50 }, () => makeJob({ domain: 'stuck.test', receivedAt: h.t0 }));
  for (const job of sent) h.route(job);
  assert.equal(h.queue.resident, 50, 'all of it stays in memory');
  const delivered = await drain(h, ['stuck.test'], 50, 100);
  assert.deepEqual(
    delivered,
    sent.map((j) => j.messageId),
  );
  await h.queue.stop();
});

test('a flush makes swapped delayed jobs due now, in their order', async () => {
  const h = await harness('[global]\nmax_resident_active_queue = 5\n');
  const later = Array.from({ length: 30 }, () =>
    makeJob({ domain: 'later.test', receivedAt: h.t0, nextAttemptAt: h.t0 + 3600 * S, attempts: 1 }),
  );
  for (const job of later) h.route(job);
  assert.deepEqual(await total(h), { active: 0, delayed: 30 });
  assert.equal(await h.take('later.test'), null);
  assert.deepEqual(await h.bus.request('queue.flush', { domain: 'later.test' }), { requeued: 30 });
  assert.deepEqual(await total(h), { active: 30, delayed: 0 });
  const delivered = await drain(h, ['later.test'], 5, 100);
  assert.deepEqual(new Set(delivered), new Set(later.map((j) => j.messageId)));
  assert.equal(delivered.length, 30);
  await h.queue.stop();
});

test('swapped mail of a suspended queue expires on time, not when it is paged in', async () => {
  const h = await harness('[domain."held.test"]\nmax_resident_active_queue = 5\nmessage_expiration = "1h"\n');
  await h.bus.request('queue.suspend', { domain: 'held.test' });
  for (let i = 0; i < 50; i++) h.route(makeJob({ domain: 'held.test', receivedAt: h.t0 }));
  h.clock.advance(3599 * S);
  await nextTurn();
  assert.equal(h.failed.length, 0, 'nothing before the expiry');
  h.clock.advance(2 * S);
  await nextTurn();
  assert.equal(h.failed.length, 50, 'resident and swapped jobs alike');
  assert.ok(h.failed.every((f) => f.reply.code === 554));
  assert.deepEqual(await total(h, 'held.test'), { active: 0, delayed: 0 });
  await h.queue.stop();
});
