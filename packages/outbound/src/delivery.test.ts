import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, hostsRoute, makeJob, sessionTracker, until } from './testkit/harness.js';
import { startAioServer, startCountingProxy, startSmtpSink, type Peer } from '@petrel/testkit';

describe('outbound delivery against real peers', () => {
  let sink: Peer;
  let aio: Peer;
  before(async () => {
    [sink, aio] = await Promise.all([startSmtpSink(), startAioServer()]);
  });
  after(async () => {
    await Promise.all([sink?.stop(), aio?.stop()]);
  });

  it('delivers a job to smtp-sink and publishes delivered outcomes', async () => {
    const h = new Harness({ route: hostsRoute(sink.port, ['127.0.0.1']), global: 'idle_timeout = "100ms"' });
    await h.svc.start();
    try {
      const job = makeJob('example.test', ['bob', 'carol'], { indexes: [2, 5] });
      h.enqueue([job]);
      await h.settled(1);
      const a = h.attempts[0]!;
      assert.equal(a.job, job);
      assert.deepEqual(
        a.outcomes.map((o) => [o.index, o.address, o.status, o.reply.code]),
        [
          [2, 'bob@example.test', 'delivered', 250],
          [5, 'carol@example.test', 'delivered', 250],
        ],
      );
      assert.deepEqual(a.remote, { host: 'mx1.example.test', ip: '127.0.0.1', port: sink.port });
      assert.ok(a.finishedAt >= a.startedAt);
      assert.ok(h.reportedOnce());
    } finally {
      await h.svc.stop();
    }
  });

  it('binds the source address of the route', async () => {
    const h = new Harness({
      route: hostsRoute(sink.port, ['127.0.0.1'], { bindAddress: '127.0.0.9' }),
      global: 'idle_timeout = "100ms"',
    });
    await h.svc.start();
    try {
      h.enqueue([makeJob('example.test', ['bob'])]);
      await h.settled(1);
      assert.equal(h.attempts[0]!.sourceAddress, '127.0.0.9');
      assert.equal(h.attempts[0]!.outcomes[0]!.status, 'delivered');
    } finally {
      await h.svc.stop();
    }
  });

  it('reports per-recipient mixed outcomes from aio-server, keeping each envelope index', async () => {
    const h = new Harness({ route: hostsRoute(aio.port, ['127.0.0.1']), global: 'idle_timeout = "100ms"' });
    await h.svc.start();
    try {
      h.enqueue([makeJob('example.test', ['ok', 'hard1', 'soft1'], { indexes: [3, 5, 7] })]);
      await h.settled(1);
      const got = h.attempts[0]!.outcomes.map((o) => [o.index, o.status, o.reply.code, o.reply.enhanced]);
      assert.deepEqual(got, [
        [3, 'delivered', 250, '2.0.0'],
        [5, 'permanent', 550, '5.1.1'],
        [7, 'transient', 451, '4.3.0'],
      ]);
    } finally {
      await h.svc.stop();
    }
  });

  it('delivers N jobs over one connection with RSET between them, then quits after idle_timeout', async () => {
    const proxy = await startCountingProxy(sink.port);
    const h = new Harness({ route: hostsRoute(proxy.port, ['127.0.0.1']), global: 'idle_timeout = "300ms"' });
    await h.svc.start();
    try {
      h.enqueue(Array.from({ length: 8 }, () => makeJob('example.test', ['bob'])));
      await h.settled(8);
      const lastAt = Date.now();
      assert.ok(h.attempts.every((a) => a.outcomes.every((o) => o.status === 'delivered')));
      assert.equal(proxy.accepted, 1);
      assert.equal(h.svc.stats().open, 1, 'the connection stays open while idle');
      await proxy.drained();
      assert.ok(Date.now() - lastAt >= 200, 'closed only after idling');
      assert.equal(proxy.accepted, 1);
    } finally {
      await h.svc.stop();
      await proxy.stop();
    }
  });

  it('hands new demand to an idle connection without reconnecting', async () => {
    const proxy = await startCountingProxy(sink.port);
    const h = new Harness({ route: hostsRoute(proxy.port, ['127.0.0.1']), global: 'idle_timeout = "5s"' });
    await h.svc.start();
    try {
      h.enqueue([makeJob('example.test', ['bob'])]);
      await h.settled(1);
      await until(() => h.svc.stats().pools[0]?.idle === 1);
      h.enqueue([makeJob('example.test', ['carol']), makeJob('example.test', ['dave'])]);
      await h.settled(3);
      assert.ok(h.attempts.every((a) => a.outcomes[0]!.status === 'delivered'));
      assert.equal(proxy.accepted, 1);
    } finally {
      await h.svc.stop();
      await proxy.stop();
    }
  });

  it('opens a fresh connection after max_deliveries_per_connection successful deliveries', async () => {
    const proxy = await startCountingProxy(sink.port);
    const t = sessionTracker();
    const h = new Harness({
      route: hostsRoute(proxy.port, ['127.0.0.1']),
      global: 'idle_timeout = "100ms"\nmax_deliveries_per_connection = 2',
      outbound: { openSession: t.openSession },
    });
    await h.svc.start();
    try {
      h.enqueue(Array.from({ length: 5 }, () => makeJob('example.test', ['bob'])));
      await h.settled(5);
      assert.ok(h.attempts.every((a) => a.outcomes[0]!.status === 'delivered'));
      assert.equal(proxy.accepted, 3);
      assert.equal(t.maxLive, 1);
    } finally {
      await h.svc.stop();
      await proxy.stop();
    }
  });
});
