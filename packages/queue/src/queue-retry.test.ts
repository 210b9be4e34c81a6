import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatReply, SmtpReply } from '@petrel/core';
import { harness, makeJob, nextTurn, S, type Harness } from './test-support.js';

/**
 * Fails the job transiently every time it is handed out, checking on the way that it is not
 * handed out 1 ms before its next attempt and is exactly at it. Returns the retry times in
 * seconds after the first attempt.
 */
async function failUntilFinal(h: Harness, domain: string): Promise<number[]> {
  h.route(makeJob({ domain, receivedAt: h.clock.now() }));
  const retryAt: number[] = [];
  for (let i = 0; i < 100 && h.failed.length === 0; i++) {
    const job = await h.take(domain);
    assert.ok(job, `job handed out at attempt ${i + 1}`);
    h.attempt(job, 'transient');
    const d = h.deferred.at(-1);
    if (h.failed.length > 0 || d === undefined) break;
    retryAt.push((d.nextAttemptAt - h.t0) / S);
    h.clock.advance(d.nextAttemptAt - h.clock.now() - 1);
    assert.equal(await h.take(domain), null, 'not handed out before its time');
    h.clock.advance(1);
  }
  return retryAt;
}

test('default schedule: waits 1200, 2400, 4800 … s capped at 43200 s, then expiry after 5 days', async () => {
  const h = await harness();
  const retryAt = await failUntilFinal(h, 'example.test');
  // The last deferral has no try left (421200 + 43200 is past the expiry): it announces the expiry
  // itself (432000 s) as its next time, and the recipient expires exactly then.
  assert.deepEqual(
    retryAt,
    [1200, 3600, 8400, 18000, 37200, 75600, 118800, 162000, 205200, 248400, 291600, 334800, 378000, 421200, 432000],
  );
  assert.equal(h.deferred.at(-1)!.expiresAt, h.t0 + 432000 * S);
  assert.equal(h.failed.length, 1);
  const f = h.failed[0]!;
  assert.equal(formatReply(f.reply), '554 5.4.7 [internal] exceeded max time without delivery');
  assert.equal(f.reason, 'expiration');
  assert.deepEqual(f.indexes, [0]);
  assert.equal(f.job.attempts, 15);
  assert.equal(formatReply(f.job.lastReply!), '451 4.7.1 try later');
  assert.deepEqual(h.queue.counts(), []);
  await h.queue.stop();
});

test('with message_expiration 1d the reference §4 table holds: six retries, then expiry', async () => {
  const h = await harness('[global]\nmessage_expiration = "1d"\n');
  assert.deepEqual(await failUntilFinal(h, 'example.test'), [1200, 3600, 8400, 18000, 37200, 75600, 86400]);
  assert.equal(formatReply(h.failed[0]!.reply), '554 5.4.7 [internal] exceeded max time without delivery');
  await h.queue.stop();
});

test('a domain scope retry_interval of 1m drives that domain only', async () => {
  const h = await harness('[domain."x.test"]\nretry_interval = "1m"\n');
  const waits = (await failUntilFinal(h, 'x.test')).map((t, i, a) => t - (a[i - 1] ?? 0));
  assert.deepEqual(waits.slice(0, 12), [60, 120, 240, 480, 960, 1920, 3840, 7680, 15360, 30720, 43200, 43200]);
  assert.equal(h.failed.length, 1);

  const other = await harness('[domain."x.test"]\nretry_interval = "1m"\n');
  other.route(makeJob({ domain: 'y.test', receivedAt: other.clock.now() }));
  other.attempt((await other.take('y.test'))!, 'transient');
  assert.equal(other.deferred[0]!.nextAttemptAt - other.t0, 1200 * S);
  await h.queue.stop();
  await other.queue.stop();
});

test('never_retry makes the first transient failure final', async () => {
  const h = await harness('[global]\nnever_retry = true\n');
  h.route(makeJob({ receivedAt: h.t0, rcpts: 2 }));
  h.attempt((await h.take('example.test'))!, 'transient');
  assert.equal(h.deferred.length, 0);
  assert.equal(h.failed.length, 1);
  assert.equal(formatReply(h.failed[0]!.reply), '554 5.4.7 [internal] exceeded max retries without delivery');
  assert.equal(h.failed[0]!.reason, 'expiration');
  assert.deepEqual(h.failed[0]!.indexes, [0, 1]);
  await h.queue.stop();
});

test('max_retries = 2 allows two retries, and the third failure is final', async () => {
  const h = await harness('[global]\nmax_retries = 2\n');
  assert.deepEqual(await failUntilFinal(h, 'example.test'), [1200, 3600]);
  assert.equal(formatReply(h.failed[0]!.reply), '554 5.4.7 [internal] exceeded max retries without delivery');
  assert.equal(h.failed[0]!.job.attempts, 3);
  await h.queue.stop();
});

test('only the transient recipients are retried; delivered and permanent ones are done', async () => {
  const h = await harness();
  h.route(makeJob({ receivedAt: h.t0, rcpts: 3 }));
  h.attempt((await h.take('example.test'))!, ['delivered', 'transient', 'permanent']);
  assert.equal(h.deferred.length, 1);
  const d = h.deferred[0]!;
  assert.deepEqual(
    d.job.recipients.map((r) => r.index),
    [1],
  );
  assert.equal(d.attempts, 1);
  assert.equal(d.job.attempts, 1);
  assert.equal(d.job.nextAttemptAt, h.t0 + 1200 * S);
  assert.equal(formatReply(d.reply), '451 4.7.1 try later');
  assert.deepEqual(
    h.queue.counts().map((c) => [c.active, c.delayed, c.inFlight]),
    [[0, 1, 0]],
  );
  await h.queue.stop();
});

test('a job with every recipient settled leaves no trace in the counts', async () => {
  const h = await harness();
  h.route(makeJob({ receivedAt: h.t0, rcpts: 2 }));
  const job = (await h.take('example.test'))!;
  assert.deepEqual(h.queue.counts(), [
    {
      binding: 'default',
      bindingGroup: 'default',
      domain: 'example.test',
      active: 0,
      delayed: 0,
      inFlight: 1,
      suspended: false,
      oldestReceivedAt: h.t0,
    },
  ]);
  h.attempt(job, ['delivered', 'permanent']);
  assert.deepEqual(h.queue.counts(), []);
  assert.equal(h.deferred.length + h.failed.length, 0);
  await h.queue.stop();
});

test('every deferral carries the expiry the queue enforces, its previous attempt, and the host that replied', async () => {
  const h = await harness('[global]\nmessage_expiration = "1d"\n');
  h.route(makeJob({ receivedAt: h.t0 }));
  const remote = { host: 'mx.example.test', ip: '127.0.0.2', port: 25 };
  let job = (await h.take('example.test'))!;
  h.bus.publish('delivery.attempted', {
    job,
    outcomes: [
      {
        index: 0,
        address: job.recipients[0]!.address,
        status: 'transient',
        reply: SmtpReply.parse('451 4.7.1 later'),
        stage: 9,
      },
    ],
    remote,
    startedAt: h.t0,
    finishedAt: h.t0,
  });
  const first = h.deferred[0]!;
  assert.deepEqual([first.expiresAt, first.previousAttemptAt, first.remote], [h.t0 + 86400 * S, h.t0, remote]);
  h.clock.advance(1200 * S);
  job = (await h.take('example.test'))!;
  h.attempt(job, 'transient');
  const second = h.deferred[1]!;
  assert.equal(second.previousAttemptAt, h.t0, 'the deferral before it');
  assert.equal(second.remote, undefined, 'no host named when the attempt named none');
  await h.queue.stop();
});

test('a recovered job: the previous attempt is derived from its persisted schedule by the queue', async () => {
  const h = await harness();
  // Deferred for the 3rd time at 3600 s (wait 4800 s), restarted, due at 8400 s.
  h.clock.advance(8400 * S);
  h.bus.publish('message.routed', {
    envelope: { id: 'R1', sender: 's@o.test', recipients: [], receivedAt: h.t0, size: 1, protocol: 'esmtp' },
    jobs: [makeJob({ receivedAt: h.t0, attempts: 3, nextAttemptAt: h.t0 + 8400 * S })],
    recovered: true,
  });
  await nextTurn();
  h.attempt((await h.take('example.test'))!, 'transient');
  assert.equal(h.deferred[0]!.previousAttemptAt, h.t0 + 3600 * S);
  await h.queue.stop();
});
