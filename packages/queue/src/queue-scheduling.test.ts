import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatReply } from '@petrel/core';
import { harness, makeJob, nextTurn, S } from './test-support.js';

test('a job with a future next attempt is handed out exactly at that time, not before', async () => {
  const h = await harness();
  h.route(makeJob({ receivedAt: h.t0, nextAttemptAt: h.t0 + 5000 }));
  assert.equal(await h.take('example.test'), null);
  assert.deepEqual(
    h.queue.counts().map((c) => [c.active, c.delayed]),
    [[0, 1]],
  );
  h.clock.advance(4999);
  assert.equal(await h.take('example.test'), null);
  h.clock.advance(1);
  await nextTurn();
  assert.deepEqual(h.demand, [{ binding: 'default', domain: 'example.test', active: 1, goal: 1 }]);
  assert.ok(await h.take('example.test'));
  await h.queue.stop();
});

test('one timer serves every delayed queue, armed at the earliest due time', async () => {
  const h = await harness();
  for (let i = 0; i < 50; i++)
    h.route(makeJob({ domain: `d${i}.test`, receivedAt: h.t0, nextAttemptAt: h.t0 + (50 - i) * S }));
  assert.equal(h.clock.pendingTimers, 1);
  h.clock.advance(1 * S);
  assert.ok(await h.take('d49.test'));
  assert.equal(await h.take('d48.test'), null);
  assert.equal(h.clock.pendingTimers, 1);
  h.clock.advance(49 * S);
  for (let i = 0; i < 49; i++) assert.ok(await h.take(`d${i}.test`), `d${i}.test due`);
  assert.equal(h.clock.pendingTimers, 0);
  await h.queue.stop();
});

test('due jobs of one queue come out in next-attempt order, FIFO among equal times', async () => {
  const h = await harness();
  const late = makeJob({ receivedAt: h.t0, nextAttemptAt: h.t0 + 3000 });
  const early1 = makeJob({ receivedAt: h.t0, nextAttemptAt: h.t0 + 1000 });
  const early2 = makeJob({ receivedAt: h.t0, nextAttemptAt: h.t0 + 1000 });
  h.route(late, early1, early2);
  h.clock.advance(3000);
  const ids = [await h.take('example.test'), await h.take('example.test'), await h.take('example.test')].map(
    (j) => j?.id,
  );
  assert.deepEqual(ids, [early1.id, early2.id, late.id]);
  await h.queue.stop();
});

test('mail for a suspended destination stays queued and counted, is never handed out, and expires on time', async () => {
  const h = await harness('[global]\nmessage_expiration = "1d"\n[domain."held.test"]\nsuspend_delivery = true\n');
  h.route(makeJob({ domain: 'held.test', receivedAt: h.t0 }), makeJob({ domain: 'free.test', receivedAt: h.t0 }));
  await nextTurn();
  assert.deepEqual(
    h.demand.map((d) => d.domain),
    ['free.test'],
  );
  assert.ok(await h.take('free.test'));
  for (let hour = 1; hour < 24; hour++) {
    h.clock.advance(3600 * S);
    assert.equal(await h.take('held.test'), null, `held at hour ${hour}`);
  }
  const held = h.queue.counts().find((c) => c.domain === 'held.test');
  assert.deepEqual(held, {
    binding: 'default',
    bindingGroup: 'default',
    domain: 'held.test',
    active: 0,
    delayed: 1,
    inFlight: 0,
    suspended: true,
    oldestReceivedAt: h.t0,
  });
  assert.equal(h.failed.length, 0);
  h.clock.advance(86400 * S - (h.clock.now() - h.t0));
  assert.equal(h.failed.length, 1);
  assert.equal(formatReply(h.failed[0]!.reply), '554 5.4.7 [internal] exceeded max time without delivery');
  assert.equal(h.failed[0]!.reason, 'expiration');
  assert.equal(h.clock.now() - h.t0, 86400 * S);
  await h.queue.stop();
});

test('a recovered job whose next attempt lies past its expiry fails at the expiry instant', async () => {
  const h = await harness('[global]\nmessage_expiration = "1h"\n');
  h.route(makeJob({ receivedAt: h.t0 - 1800 * S, nextAttemptAt: h.t0 + 7200 * S, attempts: 3 }));
  h.clock.advance(1800 * S - 1);
  assert.equal(h.failed.length, 0);
  h.clock.advance(1);
  assert.equal(h.failed.length, 1);
  assert.equal(formatReply(h.failed[0]!.reply), '554 5.4.7 [internal] exceeded max time without delivery');
  await h.queue.stop();
});

test('a released job comes back at the head of its queue, with no attempt counted', async () => {
  const h = await harness();
  const a = makeJob({ receivedAt: h.t0 });
  const b = makeJob({ receivedAt: h.t0 });
  h.route(a, b);
  await nextTurn();
  const taken = (await h.take('example.test'))!;
  assert.equal(taken.id, a.id);
  h.demand.length = 0;
  h.bus.publish('delivery.released', { job: taken });
  await nextTurn();
  assert.deepEqual(h.demand, [{ binding: 'default', domain: 'example.test', active: 2, goal: 1 }]);
  const again = (await h.take('example.test'))!;
  assert.equal(again.id, a.id);
  assert.equal(again.attempts, 0);
  assert.equal((await h.take('example.test'))!.id, b.id);
  await h.queue.stop();
});

test('after stop no timer is left and the bus no longer reaches the queue', async () => {
  const h = await harness();
  h.route(makeJob({ receivedAt: h.t0, nextAttemptAt: h.t0 + 1000 }));
  await h.queue.stop();
  assert.equal(h.clock.pendingTimers, 0);
  assert.equal(h.bus.hasHandler('queue.take'), false);
});
