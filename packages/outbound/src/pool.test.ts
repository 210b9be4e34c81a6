import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, hostsRoute, makeJob, sessionTracker } from './testkit/harness.js';
import { startAioServer, startCountingProxy, type Peer } from '@petrel/testkit';

// aio-server answers "slow*" recipients after 2 s, which keeps transactions overlapping long
// enough for the pool to open every connection it is allowed to.
describe('outbound pools and connection limits', () => {
  let aio: Peer;
  before(async () => {
    aio = await startAioServer();
  });
  after(async () => {
    await aio?.stop();
  });

  it('never opens more connections than the demand goal (goal 2, 10 jobs)', async () => {
    const proxy = await startCountingProxy(aio.port);
    const t = sessionTracker();
    const h = new Harness({
      route: hostsRoute(proxy.port, ['127.0.0.1']),
      global: 'idle_timeout = "100ms"',
      outbound: { openSession: t.openSession },
    });
    await h.svc.start();
    try {
      h.enqueue(
        Array.from({ length: 10 }, () => makeJob('example.test', ['bob'])),
        2,
      );
      await h.settled(10);
      assert.equal(h.attempts.filter((a) => a.outcomes[0]!.status === 'delivered').length, 10);
      assert.ok(t.maxLive <= 2, `max concurrent ${t.maxLive}`);
      assert.ok(proxy.accepted <= 2, `connections ${proxy.accepted}`);
    } finally {
      await h.svc.stop();
      await proxy.stop();
    }
  });

  it('opens up to the goal at once when the queue holds that many jobs', async () => {
    const proxy = await startCountingProxy(aio.port);
    const h = new Harness({ route: hostsRoute(proxy.port, ['127.0.0.1']), global: 'idle_timeout = "100ms"' });
    await h.svc.start();
    try {
      h.enqueue(
        Array.from({ length: 3 }, () => makeJob('example.test', ['slow1'])),
        3,
      );
      assert.equal(h.svc.stats().open, 3);
      await h.settled(3);
      assert.equal(proxy.maxConcurrent, 3);
    } finally {
      await h.svc.stop();
      await proxy.stop();
    }
  });

  it('caps a pool at max_outbound_connections even when the goal is higher', async () => {
    const proxy = await startCountingProxy(aio.port);
    const t = sessionTracker();
    const h = new Harness({
      route: hostsRoute(proxy.port, ['127.0.0.1']),
      global: 'idle_timeout = "100ms"\nmax_outbound_connections = 1',
      outbound: { openSession: t.openSession },
    });
    await h.svc.start();
    try {
      h.enqueue(
        Array.from({ length: 4 }, () => makeJob('example.test', ['bob'])),
        5,
      );
      assert.equal(h.svc.stats().open, 1);
      await h.settled(4);
      assert.equal(t.maxLive, 1);
      assert.equal(proxy.accepted, 1);
    } finally {
      await h.svc.stop();
      await proxy.stop();
    }
  });

  it('holds all pools under the global cap and serves a starved pool when a slot frees', async () => {
    const proxy = await startCountingProxy(aio.port);
    const t = sessionTracker();
    const h = new Harness({
      route: hostsRoute(proxy.port, ['127.0.0.1']),
      global: 'idle_timeout = "10ms"',
      outbound: { maxConnections: 1, openSession: t.openSession },
    });
    await h.svc.start();
    try {
      h.enqueue([makeJob('one.test', ['bob']), makeJob('one.test', ['bob'])], 2);
      h.enqueue([makeJob('two.test', ['bob'])], 2);
      assert.equal(h.svc.stats().open, 1);
      await h.settled(3);
      assert.equal(h.attempts.filter((a) => a.outcomes[0]!.status === 'delivered').length, 3);
      assert.equal(t.maxLive, 1);
      assert.equal(t.opened, 2, 'one session per domain, one after the other');
      assert.ok(h.attempts.some((a) => a.job.domain === 'two.test'));
    } finally {
      await h.svc.stop();
      await proxy.stop();
    }
  });
});
