import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SmtpReply, type Route } from '@petrel/core';
import { SmtpSession, type SessionOptions } from '@petrel/smtp-client';
import { Harness, hostsRoute, makeJob } from './testkit/harness.js';
import { createServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { closedPort, startSmtpSink, type Peer } from '@petrel/testkit';

const NO_MX = '421 4.4.0 [internal] no MXs for this domain could be reached at this time';
const text = (r: { code: number; enhanced?: string; lines: readonly string[] }): string =>
  `${r.code} ${r.enhanced} ${r.lines.join(' ')}`;

describe('outbound route handling and MX failover', () => {
  let sink: Peer;
  before(async () => {
    sink = await startSmtpSink();
  });
  after(async () => {
    await sink?.stop();
  });

  it('fails over from an unreachable first MX to the second and delivers there', async () => {
    // 127.0.0.2 has nothing on the sink's port (connection refused); 127.0.0.1 is the sink.
    const h = new Harness({
      route: hostsRoute(sink.port, ['127.0.0.2', '127.0.0.1']),
      global: 'idle_timeout = "100ms"',
    });
    await h.svc.start();
    try {
      h.enqueue([makeJob('example.test', ['bob'])]);
      await h.settled(1);
      const a = h.attempts[0]!;
      assert.equal(a.outcomes[0]!.status, 'delivered');
      assert.deepEqual(a.remote, { host: 'mx2.example.test', ip: '127.0.0.1', port: sink.port });
    } finally {
      await h.svc.stop();
    }
  });

  it('skips a failed IP on the next connection (host_failure_retry)', async () => {
    const tried: string[] = [];
    const openSession = (o: SessionOptions): Promise<SmtpSession> => {
      tried.push(o.host);
      return SmtpSession.open(o);
    };
    const h = new Harness({
      route: hostsRoute(sink.port, ['127.0.0.2', '127.0.0.1']),
      global: 'idle_timeout = "10ms"',
      outbound: { openSession },
    });
    await h.svc.start();
    try {
      h.enqueue([makeJob('example.test', ['bob'])]);
      await h.settled(1);
      await h.svc.stop(); // closes the first connection so the next job needs a new one
      await h.svc.start();
      h.enqueue([makeJob('example.test', ['carol'])]);
      await h.settled(2);
      assert.deepEqual(tried, ['127.0.0.2', '127.0.0.1', '127.0.0.1']);
      assert.equal(h.attempts[1]!.outcomes[0]!.status, 'delivered');
    } finally {
      await h.svc.stop();
    }
  });

  it('reports every queued job transient with 421 4.4.0 when no MX can be reached', async () => {
    const port = await closedPort();
    const h = new Harness({ route: hostsRoute(port, ['127.0.0.2', '127.0.0.3']) });
    await h.svc.start();
    try {
      h.enqueue(
        [makeJob('example.test', ['a', 'b']), makeJob('example.test', ['c']), makeJob('example.test', ['d'])],
        1,
      );
      await h.settled(3);
      assert.equal(h.attempts.length, 3);
      for (const a of h.attempts) {
        for (const o of a.outcomes) {
          assert.equal(o.status, 'transient');
          assert.equal(o.stage, 0);
          assert.equal(text(o.reply), NO_MX);
        }
      }
      assert.equal(h.queues.get('default|example.test')?.length, 0);
      assert.ok(h.reportedOnce());
    } finally {
      await h.svc.stop();
    }
  });

  it("reports a single gateway's own error instead of the no-MX text when it is down", async () => {
    const port = await closedPort();
    const h = new Harness({ route: hostsRoute(port, ['127.0.0.1'], { gateway: true }) });
    await h.svc.start();
    try {
      h.enqueue([makeJob('example.test', ['a'])]);
      await h.settled(1);
      const o = h.attempts[0]!.outcomes[0]!;
      assert.equal(o.status, 'transient');
      assert.notEqual(text(o.reply), NO_MX);
      assert.ok(o.reply.code >= 400 && o.reply.code < 500);
    } finally {
      await h.svc.stop();
    }
  });

  it('reports the TLS reason 451 4.7.6 (stage 15), not the no-MX text, when tls = "required" and no MX offers STARTTLS', async () => {
    // The first MX refuses the connection, the second (smtp-sink) does not advertise STARTTLS.
    const h = new Harness({
      route: hostsRoute(sink.port, ['127.0.0.2', '127.0.0.1']),
      global: '[domain."example.test"]\ntls = "required"',
    });
    await h.svc.start();
    try {
      h.enqueue([makeJob('example.test', ['a', 'b'])]);
      await h.settled(1);
      for (const o of h.attempts[0]!.outcomes) {
        assert.equal(o.status, 'transient');
        assert.equal(text(o.reply), '451 4.7.6 [internal] STARTTLS required but not advertised');
        assert.equal(o.stage, 15);
      }
    } finally {
      await h.svc.stop();
    }
  });

  it('reports the TLS reason 451 4.7.5 (stage 17) when every MX fails the TLS handshake under tls = "required"', async () => {
    // Advertises STARTTLS, says 220 go ahead, then talks plaintext: the handshake fails.
    const sockets = new Set<Socket>();
    const server = createServer((s) => {
      sockets.add(s);
      s.on('error', () => undefined);
      s.write('220 notls.test ESMTP\r\n');
      s.on('data', (d: Buffer) => {
        const line = d.toString('latin1').trim().toUpperCase();
        if (line.startsWith('EHLO')) s.write('250-notls.test\r\n250-STARTTLS\r\n250 PIPELINING\r\n');
        else if (line === 'STARTTLS') {
          s.write('220 go ahead\r\n');
          // Later, so that the client has begun the handshake (bytes with the 220 are refused earlier).
          setTimeout(() => s.end('this is not TLS\r\n'), 50);
        }
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    const h = new Harness({
      route: hostsRoute(port, ['127.0.0.1']),
      global: '[domain."example.test"]\ntls = "required"',
    });
    await h.svc.start();
    try {
      h.enqueue([makeJob('example.test', ['a'])]);
      await h.settled(1);
      const o = h.attempts[0]!.outcomes[0]!;
      assert.equal(o.status, 'transient');
      assert.match(text(o.reply), /^451 4\.7\.5 \[internal\] TLS negotiation failed/);
      assert.equal(o.stage, 17);
    } finally {
      await h.svc.stop();
      for (const s of sockets) s.destroy();
      server.close();
    }
  });

  for (const permanent of [true, false]) {
    it(`reports a ${permanent ? 'permanent' : 'transient'} route failure for every queued job with the route's reply`, async () => {
      const reply = permanent
        ? new SmtpReply(550, '[internal] NULL MX domain does not accept mail', '5.4.4')
        : new SmtpReply(451, '[internal] No valid hosts', '4.4.1');
      const route: Route = { kind: 'failure', permanent, reply };
      const h = new Harness({ route });
      await h.svc.start();
      try {
        h.enqueue([makeJob('nullmx.test', ['a', 'b'], { indexes: [4, 9] }), makeJob('nullmx.test', ['c'])], 1);
        await h.settled(2);
        const outcomes = h.attempts.flatMap((a) => a.outcomes);
        assert.deepEqual(
          outcomes.map((o) => o.index),
          [4, 9, 0],
        );
        for (const o of outcomes) {
          assert.equal(o.status, permanent ? 'permanent' : 'transient');
          assert.equal(o.stage, 0);
          assert.deepEqual(o.reply, reply);
        }
        assert.equal(h.attempts[0]!.remote, undefined);
      } finally {
        await h.svc.stop();
      }
    });
  }

  it('defers the queue with a transient reply when the routing service throws', async () => {
    const h = new Harness({
      route: () => {
        throw new Error('dns on fire');
      },
    });
    await h.svc.start();
    try {
      h.enqueue([makeJob('example.test', ['a'])]);
      await h.settled(1);
      assert.equal(h.attempts[0]!.outcomes[0]!.status, 'transient');
    } finally {
      await h.svc.stop();
    }
  });
});
