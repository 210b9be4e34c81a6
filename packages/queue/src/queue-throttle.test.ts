import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, makeJob, nextTurn, S } from './test-support.js';

test('outbound_throttle_messages: no token, no job; demand comes back exactly when the next token is due', async () => {
  const h = await harness('[domain."slow.test"]\noutbound_throttle_messages = "2/10"\n');
  h.route(...[0, 1, 2, 3].map(() => makeJob({ domain: 'slow.test', receivedAt: h.t0 })));
  assert.ok(await h.take('slow.test'));
  assert.ok(await h.take('slow.test'));
  assert.equal(await h.take('slow.test'), null, 'bucket of 2 is empty');
  assert.equal(h.clock.pendingTimers, 1, 'one timer, no polling');
  await nextTurn();
  h.demand.length = 0;
  h.clock.advance(5 * S - 1);
  await nextTurn();
  assert.equal(h.demand.length, 0);
  assert.equal(await h.take('slow.test'), null);
  h.clock.advance(1);
  await nextTurn();
  assert.deepEqual(
    h.demand.map((d) => [d.domain, d.active]),
    [['slow.test', 2]],
  );
  assert.ok(await h.take('slow.test'));
  assert.equal(await h.take('slow.test'), null);
  await h.queue.stop();
});

test('a throttle set on a binding group is one bucket shared by all its bindings and domains', async () => {
  const h = await harness(
    '[binding_group.g]\noutbound_throttle_messages = "3/60"\n[binding_group.g.binding.b1]\n[binding_group.g.binding.b2]\n',
  );
  for (const [binding, domain] of [
    ['b1', 'a.test'],
    ['b2', 'b.test'],
    ['b1', 'c.test'],
    ['b2', 'a.test'],
  ] as const) {
    h.route(makeJob({ binding, domain, receivedAt: h.t0 }));
  }
  const got = [
    await h.take('a.test', 'b1'),
    await h.take('b.test', 'b2'),
    await h.take('c.test', 'b1'),
    await h.take('a.test', 'b2'),
  ];
  assert.deepEqual(
    got.map((j) => j !== null),
    [true, true, true, false],
  );
  h.route(makeJob({ domain: 'free.test', receivedAt: h.t0 }));
  assert.ok(await h.take('free.test'), 'the default binding is outside the group: not throttled');
  await h.queue.stop();
});

test('delayed_binding_domain_fuzz spreads a bulk requeue over the fuzz window; 0 keeps the exact schedule', async () => {
  let r = 0;
  const random = (): number => (r = (r + 0.37) % 1);
  const h = await harness(
    '[global]\nretry_interval = "10m"\n[domain."fuzzy.test"]\ndelayed_binding_domain_fuzz = "64s"\n',
    { random },
  );
  const jobs = Array.from({ length: 20 }, () => makeJob({ domain: 'fuzzy.test', receivedAt: h.t0 }));
  const exact = makeJob({ domain: 'exact.test', receivedAt: h.t0 });
  h.route(...jobs, exact);
  for (let i = 0; i < 20; i++) h.attempt((await h.take('fuzzy.test'))!, 'transient');
  h.attempt((await h.take('exact.test'))!, 'transient');
  const waits = h.deferred.filter((d) => d.job.domain === 'fuzzy.test').map((d) => (d.nextAttemptAt - h.t0) / S);
  assert.ok(
    waits.every((w) => w >= 600 && w < 664),
    `within [600, 664) s: ${waits.join(',')}`,
  );
  assert.ok(new Set(waits.map(Math.floor)).size >= 10, 'spread, not one instant');
  assert.equal(h.deferred.find((d) => d.job.domain === 'exact.test')!.nextAttemptAt - h.t0, 600 * S);
  await h.queue.stop();
});

test('max_retries exhaustion and never_retry fail as expiration (Momentum logs them as expiry with 5.4.7)', async () => {
  const h = await harness('[domain."never.test"]\nnever_retry = true\n');
  h.route(makeJob({ domain: 'never.test', receivedAt: h.t0 }));
  h.attempt((await h.take('never.test'))!, 'transient');
  assert.equal(h.failed[0]?.reason, 'expiration');
  assert.match(String(h.failed[0]?.reply.enhanced), /^5\.4\.7$/);
  await h.queue.stop();
});
