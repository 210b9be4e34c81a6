import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Route } from '@petrel/core';
import { SmtpSession, type SessionOptions } from '@petrel/smtp-client';
import { Harness, hostsRoute, makeJob } from './testkit/harness.js';
import { LinePeer } from '@petrel/testkit';

describe('outbound: batches, throttles, auth, traces', () => {
  it('452 4.5.3 too many recipients: the rest go in the next transaction on the same connection', async () => {
    const peer = await LinePeer.start({ maxRcptPerTransaction: 2 });
    const h = new Harness({ route: hostsRoute(peer.port, ['127.0.0.1']), global: 'idle_timeout = "100ms"' });
    await h.svc.start();
    try {
      h.enqueue([makeJob('example.test', ['a', 'b', 'c', 'd', 'e'])]);
      await h.settled(1);
      const a = h.attempts[0]!;
      assert.deepEqual(
        a.outcomes.map((o) => o.status),
        ['delivered', 'delivered', 'delivered', 'delivered', 'delivered'],
      );
      assert.equal(peer.connections, 1);
      assert.equal(peer.count('MAIL'), 3);
      assert.equal(peer.count('RSET'), 2);
      assert.match(a.connectionId ?? '', /^c\d+$/);
    } finally {
      await h.svc.stop();
      await peer.stop();
    }
  });

  it('max_recipients_per_batch splits one job into transactions of at most that many RCPTs', async () => {
    const peer = await LinePeer.start();
    const h = new Harness({
      route: hostsRoute(peer.port, ['127.0.0.1']),
      global: 'idle_timeout = "100ms"\nmax_recipients_per_batch = 2',
    });
    await h.svc.start();
    try {
      h.enqueue([makeJob('example.test', ['a', 'b', 'c'])]);
      await h.settled(1);
      assert.ok(h.attempts[0]!.outcomes.every((o) => o.status === 'delivered'));
      assert.equal(peer.count('MAIL'), 2);
      assert.equal(peer.count('RCPT'), 3);
    } finally {
      await h.svc.stop();
      await peer.stop();
    }
  });

  it('outbound_throttle_connections spaces connection opens by the bucket rate', async () => {
    const peer = await LinePeer.start();
    // Burst of 2, then one connection per 500 ms; each connection delivers one message.
    const h = new Harness({
      route: hostsRoute(peer.port, ['127.0.0.1']),
      global: 'idle_timeout = "50ms"\nmax_deliveries_per_connection = 1\noutbound_throttle_connections = "2/1"',
    });
    await h.svc.start();
    try {
      h.enqueue(
        Array.from({ length: 4 }, () => makeJob('example.test', ['a'])),
        4,
      );
      await h.settled(4);
      assert.equal(peer.connections, 4);
      const t = peer.connectedAt;
      assert.ok(t[1]! - t[0]! < 300, `burst: ${t[1]! - t[0]!} ms`);
      assert.ok(t[3]! - t[0]! >= 800, `throttled: ${t[3]! - t[0]!} ms`);
    } finally {
      await h.svc.stop();
      await peer.stop();
    }
  });

  it("passes the route's AUTH credentials to the session", async () => {
    const peer = await LinePeer.start();
    const seen: SessionOptions[] = [];
    const base = hostsRoute(peer.port, ['127.0.0.1'], { gateway: true }) as Extract<Route, { kind: 'hosts' }>;
    const h = new Harness({
      route: { ...base, auth: { user: 'u1', pass: 'p1' } },
      global: 'idle_timeout = "50ms"',
      outbound: {
        openSession: (o) => {
          seen.push(o);
          const { auth: _auth, ...rest } = o; // the line peer has no TLS: record, then connect without AUTH
          return SmtpSession.open(rest);
        },
      },
    });
    await h.svc.start();
    try {
      h.enqueue([makeJob('example.test', ['a'])]);
      await h.settled(1);
      assert.deepEqual(seen[0]!.auth, { user: 'u1', pass: 'p1' });
    } finally {
      await h.svc.stop();
      await peer.stop();
    }
  });

  it('trace_file appends the whole dialogue of the (binding, domain) with the connection id', async () => {
    const peer = await LinePeer.start();
    const dir = mkdtempSync(join(tmpdir(), 'petrel-trace-'));
    const file = join(dir, 'trace.log');
    const h = new Harness({
      route: hostsRoute(peer.port, ['127.0.0.1']),
      global: `idle_timeout = "50ms"\n[domain."example.test"]\ntrace_file = ${JSON.stringify(file)}`,
    });
    await h.svc.start();
    try {
      h.enqueue([makeJob('example.test', ['a'])]);
      await h.settled(1);
      await h.svc.stop();
      const text = readFileSync(file, 'utf8');
      const id = h.attempts[0]!.connectionId!;
      for (const want of [
        ' s 220 peer.test ESMTP',
        ' c EHLO petrel.test',
        ' c MAIL FROM:<a@sender.test>',
        ' c RCPT TO:<a@example.test>',
        ' s 250 2.0.0 queued',
        ' c QUIT',
      ]) {
        assert.ok(text.includes(`${id}${want}`), `missing "${want}" in\n${text}`);
      }
    } finally {
      await h.svc.stop();
      await peer.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
