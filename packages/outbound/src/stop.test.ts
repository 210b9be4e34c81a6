import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DeliveryJob } from '@petrel/core';
import { SmtpSession, type SessionOptions } from '@petrel/smtp-client';
import { BODY, Harness, hostsRoute, makeJob } from './testkit/harness.js';
import { startAioServer, type Peer } from '@petrel/testkit';

/**
 * Instruments the real session: `inFlight` resolves when a transaction to a recipient starting
 * with `prefix` has been handed to it.
 */
function watchSend(prefix: string): {
  openSession: (o: SessionOptions) => Promise<SmtpSession>;
  inFlight: Promise<void>;
} {
  let sent!: () => void;
  const inFlight = new Promise<void>((r) => (sent = r));
  const openSession = async (o: SessionOptions): Promise<SmtpSession> => {
    const session = await SmtpSession.open(o);
    const send = session.send.bind(session);
    session.send = (tx) => {
      if (tx.recipients.some((r) => r.address.startsWith(prefix))) sent();
      return send(tx);
    };
    return session;
  };
  return { openSession, inFlight };
}

describe('outbound graceful stop', () => {
  let aio: Peer;
  before(async () => {
    aio = await startAioServer();
  });
  after(async () => {
    await aio?.stop();
  });

  it('lets the transaction in flight finish and releases a job taken but not yet sent', async () => {
    // Job 1 is in flight (its RCPT is answered after 2 s); job 2's body is held back until stop() began.
    let bodyAsked!: () => void;
    const secondBodyAsked = new Promise<void>((r) => (bodyAsked = r));
    let releaseBody!: () => void;
    const bodyGate = new Promise<void>((r) => (releaseBody = r));
    const jobs = [
      makeJob('example.test', ['slow1']),
      makeJob('example.test', ['bob']),
      makeJob('example.test', ['carol']),
    ];
    // Job 1 is in flight once its transaction is handed to its session (the two connections race:
    // stop() must not begin before both are where the test says).
    const { openSession, inFlight: firstInFlight } = watchSend('slow1@');
    const h = new Harness({
      route: hostsRoute(aio.port, ['127.0.0.1']),
      global: 'idle_timeout = "5s"',
      outbound: { openSession },
      body: async (job: DeliveryJob) => {
        if (job === jobs[1]) {
          bodyAsked();
          await bodyGate;
        }
        return BODY;
      },
    });
    await h.svc.start();
    // Two connections: one runs job 1, the other takes job 2 and waits on its body.
    h.enqueue(jobs.slice(0, 2), 2);
    await Promise.all([secondBodyAsked, firstInFlight]);
    const stopped = h.svc.stop();
    releaseBody();
    h.enqueue(jobs.slice(2), 2); // demand after stop() opens nothing
    await stopped;
    assert.equal(h.attempts.length, 1);
    assert.equal(h.attempts[0]!.job, jobs[0]);
    assert.equal(h.attempts[0]!.outcomes[0]!.status, 'delivered');
    assert.deepEqual(h.released, [jobs[1]]);
    assert.ok(h.reportedOnce());
    assert.equal(h.svc.stats().open, 0);
    assert.equal(h.queues.get('default|example.test')?.length, 1, 'the untaken job stays queued');
  });

  it('releases a job whose transaction outlives the stop deadline', async () => {
    const { openSession, inFlight } = watchSend('slow1@');
    const h = new Harness({
      route: hostsRoute(aio.port, ['127.0.0.1']),
      outbound: { stopTimeoutMs: 200, openSession },
    });
    await h.svc.start();
    const job = makeJob('example.test', ['slow1']);
    h.enqueue([job]);
    await inFlight;
    const started = Date.now();
    await h.svc.stop();
    assert.ok(Date.now() - started < 1500, 'stop() did not wait for the 2 s RCPT reply');
    assert.deepEqual(h.released, [job]);
    assert.equal(h.attempts.length, 0);
    assert.ok(h.reportedOnce());
  });
});
