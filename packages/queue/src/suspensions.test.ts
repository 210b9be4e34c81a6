import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bus, ManualClock, parseConfig, silentLogger, type DeliveryJob } from '@petrel/core';
import { DestinationQueue } from './destination-queue.js';
import type { QueueAccess } from './queue-access.js';
import { Suspensions } from './suspensions.js';
import { makeJob, S } from './test-support.js';

/** A QueueAccess over one queue that records what the suspensions asked of it: no QueueManager. */
function fakeAccess(clock: ManualClock) {
  const config = parseConfig('', '/nonexistent/petrel-suspensions-test.toml');
  const q = new DestinationQueue('default', 'example.test');
  const calls: string[] = [];
  let suspensions: Suspensions | undefined;
  let seq = 0;
  const access: QueueAccess = {
    bus: new Bus(),
    clock,
    logger: silentLogger(),
    config: () => config,
    select: () => [q].values(),
    inFlightJobs: () => ([] as DeliveryJob[]).values(),
    isHeld: (dq) => suspensions!.covers(dq.binding, dq.domain),
    hold: (dq, job) => {
      calls.push(`hold ${job.messageId}`);
      dq.delayed.push({ at: clock.now() + 60 * S, seq: seq++, job, held: true });
    },
    activate: (dq, job) => {
      calls.push(`activate ${job.messageId}`);
      dq.active.pushBack(job);
    },
    delay: (_dq, job) => void calls.push(`delay ${job.messageId}`),
    admit: () => assert.fail('not used by suspensions'),
    fail: () => assert.fail('not used by suspensions'),
    touch: () => void calls.push('touch'),
  };
  suspensions = new Suspensions(access);
  return { q, calls, suspensions };
}

test('a timed suspension holds the active mail of its queues through QueueAccess, and releases it when it ends', () => {
  const clock = new ManualClock();
  const { q, calls, suspensions } = fakeAccess(clock);
  const job = makeJob({ receivedAt: clock.now() });
  q.active.pushBack(job);
  const gen = suspensions.generation;
  const { suspension } = suspensions.suspend({ domain: 'Example.TEST', durationMs: 30 * S, reason: 'maintenance' });
  assert.deepEqual(suspension, {
    domain: 'example.test',
    reason: 'maintenance',
    since: clock.now(),
    until: clock.now() + 30 * S,
  });
  assert.notEqual(suspensions.generation, gen, 'queues re-check their cached answer');
  assert.equal(suspensions.covers('any-binding', 'example.test'), true);
  assert.deepEqual([q.active.length, q.delayed.size], [0, 1]);
  clock.advance(30 * S);
  assert.deepEqual(suspensions.list(), []);
  assert.deepEqual(calls, [`hold ${job.messageId}`, `activate ${job.messageId}`, 'touch']);
  assert.deepEqual([q.active.length, q.delayed.size], [1, 0]);
  suspensions.stop();
});

test('resume lifts only the suspension set for exactly that selector, and a stopped table leaves no timer behind', () => {
  const clock = new ManualClock();
  const { suspensions } = fakeAccess(clock);
  suspensions.suspend({ binding: 'b1' });
  suspensions.suspend({ domain: 'x.test', durationMs: 10 * S });
  assert.deepEqual(suspensions.resume({ domain: 'other.test' }), { resumed: 0 });
  // Lifted, but no mail was held: resume counts requeued jobs, not suspensions.
  assert.deepEqual(suspensions.resume({ binding: 'b1' }), { resumed: 0 });
  assert.deepEqual(
    suspensions.list().map((s) => s.domain),
    ['x.test'],
  );
  assert.throws(() => suspensions.suspend({ durationMs: 0 }), /duration must be positive/);
  suspensions.stop();
  clock.advance(20 * S);
  assert.deepEqual(
    suspensions.list().map((s) => s.domain),
    ['x.test'],
    'the timer was cleared by stop()',
  );
});

test('a suspension restored with its stored end keeps that end to the millisecond, and one already over is refused', () => {
  const clock = new ManualClock();
  const { suspensions } = fakeAccess(clock);
  const since = clock.now() - 5 * S;
  const until = clock.now() + 7 * S + 1;
  const { suspension } = suspensions.suspend({ domain: 'x.test', since, until });
  assert.equal(suspension.since, since);
  assert.equal(suspension.until, until, 'not re-derived from a duration measured at another instant');
  assert.throws(() => suspensions.suspend({ domain: 'y.test', until: clock.now() }), /duration must be positive/);
  clock.advance(7 * S);
  assert.equal(suspensions.covers('b', 'x.test'), true, 'still held 1 ms before its end');
  clock.advance(1);
  assert.equal(suspensions.covers('b', 'x.test'), false);
  suspensions.stop();
});
