import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatReply, isPetrelError } from '@petrel/core';
import { harness, makeJob, nextTurn, S } from './test-support.js';

test('suspend per domain holds active and new mail (counted as delayed), resume makes it active again', async () => {
  const h = await harness();
  h.route(makeJob({ domain: 'a.test', receivedAt: h.t0 }), makeJob({ domain: 'b.test', receivedAt: h.t0 }));
  const { suspension } = await h.bus.request('queue.suspend', { domain: 'a.test', reason: 'maintenance' });
  assert.deepEqual(suspension, { domain: 'a.test', reason: 'maintenance', since: h.t0 });
  h.route(makeJob({ domain: 'a.test', receivedAt: h.t0 }));
  assert.equal(await h.take('a.test'), null);
  assert.ok(await h.take('b.test'), 'other domains are not affected');
  const [a] = await h.bus.request('queue.counts', { domain: 'a.test' });
  assert.equal(a?.active, 0);
  assert.equal(a?.delayed, 2);
  assert.equal(a?.suspended, true);
  assert.deepEqual(await h.bus.request('queue.suspensions', {}), [suspension]);
  h.clock.advance(7200 * S);
  assert.equal(await h.take('a.test'), null, 'still held after the recheck interval');
  assert.deepEqual(
    await h.bus.request('queue.resume', { domain: 'a.test' }),
    { resumed: 2 },
    'both held jobs went active',
  );
  await nextTurn();
  assert.ok(h.demand.some((d) => d.domain === 'a.test' && d.active === 2));
  assert.ok(await h.take('a.test'));
  assert.ok(await h.take('a.test'));
  assert.deepEqual(await h.bus.request('queue.resume', { domain: 'a.test' }), { resumed: 0 });
  await h.queue.stop();
});

test('resume after fail counts nothing: the purged mail is not back in the active queue', async () => {
  const h = await harness();
  h.route(makeJob({ domain: 'a.test', receivedAt: h.t0 }), makeJob({ domain: 'a.test', receivedAt: h.t0 }));
  await h.bus.request('queue.suspend', { domain: 'a.test' });
  assert.equal((await h.bus.request('queue.fail', { domain: 'a.test', quiet: true, dryRun: false })).failed, 2);
  assert.deepEqual(await h.bus.request('queue.resume', { domain: 'a.test' }), { resumed: 0 });
  assert.equal(await h.take('a.test'), null);
  await h.queue.stop();
});

test('suspend per binding and per binding::domain cover exactly their queues', async () => {
  const h = await harness('[binding.b2]\n');
  h.route(
    makeJob({ domain: 'x.test', binding: 'b2', receivedAt: h.t0 }),
    makeJob({ domain: 'y.test', binding: 'b2', receivedAt: h.t0 }),
  );
  h.route(makeJob({ domain: 'x.test', receivedAt: h.t0 }));
  await h.bus.request('queue.suspend', { binding: 'b2', domain: 'x.test' });
  assert.equal(await h.take('x.test', 'b2'), null);
  assert.ok(await h.take('y.test', 'b2'));
  assert.ok(await h.take('x.test', 'default'));
  await h.bus.request('queue.suspend', { binding: 'default' });
  h.route(makeJob({ domain: 'z.test', receivedAt: h.t0 }));
  assert.equal(await h.take('z.test'), null);
  await h.bus.request('queue.resume', { binding: 'default' });
  assert.ok(await h.take('z.test'));
  assert.equal(await h.take('x.test', 'b2'), null, 'binding::domain suspension still in force');
  await h.queue.stop();
});

test('a timed suspension ends by itself on the driven clock and releases held mail', async () => {
  const h = await harness();
  h.route(makeJob({ receivedAt: h.t0 }));
  const { suspension } = await h.bus.request('queue.suspend', { domain: 'example.test', durationMs: 90 * S });
  assert.equal(suspension.until, h.t0 + 90 * S);
  h.clock.advance(90 * S - 1);
  assert.equal(await h.take('example.test'), null);
  h.clock.advance(1);
  assert.ok(await h.take('example.test'));
  assert.deepEqual(await h.bus.request('queue.suspensions', {}), []);
  await assert.rejects(h.bus.request('queue.suspend', { domain: 'x.test', durationMs: 0 }), (e) =>
    isPetrelError(e, 'PETREL_ERR_QUEUE_ARGUMENT'),
  );
  await h.queue.stop();
});

test('held mail still expires on time during an operator suspension', async () => {
  const h = await harness('[global]\nmessage_expiration = "2h"\n');
  await h.bus.request('queue.suspend', { domain: 'example.test' });
  h.route(makeJob({ receivedAt: h.t0 }));
  h.clock.advance(2 * 3600 * S);
  assert.equal(h.failed.length, 1);
  assert.equal(h.failed[0]!.reason, 'expiration');
  assert.deepEqual(await h.bus.request('queue.counts', {}), []);
  await h.queue.stop();
});

test('flush moves delayed mail of a domain to active now; a message id flushes only that message', async () => {
  const h = await harness();
  const a = makeJob({ receivedAt: h.t0, nextAttemptAt: h.t0 + 3600 * S, attempts: 1 });
  const b = makeJob({ receivedAt: h.t0, nextAttemptAt: h.t0 + 3600 * S, attempts: 1 });
  h.route(a, b);
  assert.deepEqual(await h.bus.request('queue.flush', { messageId: b.messageId }), { requeued: 1 });
  assert.equal((await h.take('example.test'))?.id, b.id);
  assert.equal(await h.take('example.test'), null);
  assert.deepEqual(await h.bus.request('queue.flush', { domain: 'example.test' }), { requeued: 1 });
  assert.equal((await h.take('example.test'))?.id, a.id);
  await h.queue.stop();
});

test('fail fails queued mail of a domain with reason policy and the purge reply; quiet and dry run pass through', async () => {
  const h = await harness();
  h.route(
    makeJob({ domain: 'dead.test', receivedAt: h.t0 }),
    makeJob({ domain: 'dead.test', receivedAt: h.t0, nextAttemptAt: h.t0 + 60 * S }),
  );
  h.route(makeJob({ domain: 'live.test', receivedAt: h.t0 }));
  const inFlight = makeJob({ domain: 'dead.test', receivedAt: h.t0 });
  h.route(inFlight);
  assert.equal((await h.take('dead.test'))?.domain, 'dead.test');
  assert.deepEqual(await h.bus.request('queue.fail', { domain: 'dead.test', dryRun: true }), { failed: 2 });
  assert.equal(h.failed.length, 0);
  assert.deepEqual(await h.bus.request('queue.fail', { domain: 'dead.test', quiet: true }), { failed: 2 });
  assert.equal(h.failed.length, 2);
  for (const f of h.failed) {
    assert.equal(f.reason, 'policy');
    assert.equal(f.quiet, true);
    assert.equal(formatReply(f.reply), '554 5.7.0 [internal] Message manually purged');
  }
  const [dead] = await h.bus.request('queue.counts', { domain: 'dead.test' });
  assert.deepEqual([dead?.active, dead?.delayed, dead?.inFlight], [0, 0, 1], 'the job in flight is left to finish');
  assert.ok(await h.take('live.test'));
  await h.queue.stop();
});

test("reroute moves a domain's queued jobs to another domain, keeping recipients and schedule", async () => {
  const h = await harness();
  const now = makeJob({ domain: 'old.test', receivedAt: h.t0, rcpts: 2 });
  const later = makeJob({ domain: 'old.test', receivedAt: h.t0, nextAttemptAt: h.t0 + 60 * S, attempts: 2 });
  h.route(now, later);
  assert.deepEqual(await h.bus.request('queue.reroute', { from: 'old.test', to: 'new.test', dryRun: true }), {
    moved: 2,
  });
  assert.deepEqual(await h.bus.request('queue.reroute', { from: 'old.test', to: 'new.test' }), { moved: 2 });
  assert.equal(await h.take('old.test'), null);
  const j = (await h.take('new.test'))!;
  assert.equal(j.domain, 'new.test');
  assert.equal(j.messageId, now.messageId);
  assert.deepEqual(j.recipients, now.recipients);
  assert.equal(await h.take('new.test'), null, 'the deferred job keeps its next attempt time');
  h.clock.advance(60 * S);
  assert.equal((await h.take('new.test'))?.attempts, 2);
  assert.deepEqual(
    (await h.bus.request('queue.counts', {})).map((c) => c.domain),
    ['new.test'],
  );
  await assert.rejects(h.bus.request('queue.reroute', { from: 'a.test', to: '' }), (e) =>
    isPetrelError(e, 'PETREL_ERR_QUEUE_ARGUMENT'),
  );
  await h.queue.stop();
});

test('rebind asks routing.assign for each queued job of a binding and moves it to the returned queue', async () => {
  const h = await harness('[binding.b2]\n');
  const asked: string[] = [];
  h.bus.handle('routing.assign', ({ job }) => {
    asked.push(job.id);
    return { binding: 'b2', bindingGroup: 'default' };
  });
  const a = makeJob({ domain: 'x.test', receivedAt: h.t0 });
  const b = makeJob({ domain: 'x.test', receivedAt: h.t0, nextAttemptAt: h.t0 + 60 * S });
  const other = makeJob({ domain: 'y.test', receivedAt: h.t0 });
  h.route(a, b, other);
  assert.deepEqual(await h.bus.request('queue.rebind', { binding: 'default', domain: 'x.test' }), { rebound: 2 });
  assert.deepEqual(asked.sort(), [a.id, b.id].sort());
  assert.equal(await h.take('x.test', 'default'), null);
  const moved = (await h.take('x.test', 'b2'))!;
  assert.equal(moved.messageId, a.messageId);
  assert.equal(moved.binding, 'b2');
  assert.equal(await h.take('x.test', 'b2'), null, 'the delayed job stays delayed in its new queue');
  assert.ok(await h.take('y.test', 'default'), 'other domains untouched');
  const counts = await h.bus.request('queue.counts', { binding: 'b2' });
  assert.deepEqual(
    counts.map((c) => [c.domain, c.delayed, c.inFlight]),
    [['x.test', 1, 1]],
  );
  await h.queue.stop();
});

test('counts report the oldest reception per queue without scanning jobs, and forget it when the job leaves', async () => {
  const h = await harness();
  const old = makeJob({ receivedAt: h.t0 - 3600 * S });
  h.route(old, makeJob({ receivedAt: h.t0 }));
  let [c] = await h.bus.request('queue.counts', {});
  assert.equal(c?.oldestReceivedAt, h.t0 - 3600 * S);
  const taken = (await h.take('example.test'))!;
  assert.equal(taken.id, old.id);
  h.attempt(taken, 'delivered');
  [c] = await h.bus.request('queue.counts', {});
  assert.equal(c?.oldestReceivedAt, h.t0);
  assert.equal(c?.active, 1);
  await h.queue.stop();
});

test('jobs lists queued mail for showqueue with limit and offset', async () => {
  const h = await harness();
  const jobs = [0, 1, 2].map(() => makeJob({ receivedAt: h.t0 }));
  h.route(...jobs);
  await h.take('example.test');
  const all = await h.bus.request('queue.jobs', { domain: 'example.test' });
  assert.deepEqual(
    all.map((j) => [j.jobId, j.queue]),
    [
      [jobs[0]!.id, 'in-flight'],
      [jobs[1]!.id, 'active'],
      [jobs[2]!.id, 'active'],
    ],
  );
  const page = await h.bus.request('queue.jobs', { domain: 'example.test', offset: 1, limit: 1 });
  assert.deepEqual(
    page.map((j) => j.jobId),
    [jobs[1]!.id],
  );
  await h.queue.stop();
});

test('fail and reroute with a limit act on at most that many jobs per call (chunked operator actions)', async () => {
  const h = await harness();
  for (let i = 0; i < 5; i++)
    h.route(makeJob({ domain: 'big.test', receivedAt: h.t0, ...(i % 2 ? { nextAttemptAt: h.t0 + 60 * S } : {}) }));
  for (let i = 0; i < 3; i++) h.route(makeJob({ domain: 'move.test', receivedAt: h.t0 }));
  assert.deepEqual(await h.bus.request('queue.fail', { domain: 'big.test', limit: 2 }), { failed: 2 });
  assert.deepEqual(await h.bus.request('queue.fail', { domain: 'big.test', limit: 2 }), { failed: 2 });
  assert.deepEqual(await h.bus.request('queue.fail', { domain: 'big.test', limit: 2 }), { failed: 1 });
  assert.deepEqual(await h.bus.request('queue.fail', { domain: 'big.test', limit: 2 }), { failed: 0 });
  assert.equal(h.failed.length, 5);
  assert.deepEqual(await h.bus.request('queue.reroute', { from: 'move.test', to: 'dest.test', limit: 2 }), {
    moved: 2,
  });
  const counts = await h.bus.request('queue.counts', {});
  assert.equal(counts.find((c) => c.domain === 'move.test')?.active, 1);
  assert.equal(counts.find((c) => c.domain === 'dest.test')?.active, 2);
  await h.queue.stop();
});
