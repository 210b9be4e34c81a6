import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, makeJob } from './testkit/harness.js';
import { LinePeer, startBlackHole } from '@petrel/testkit';

/** Momentum's internal reply for a connect that timed out (reference §6), byte for byte. */
const TIMED_OUT = '450 4.4.1 [internal] Connection Timed Out';
const CONNECT_TIMEOUT_MS = 300;
const text = (r: { code: number; enhanced?: string; lines: readonly string[] }): string =>
  `${r.code} ${r.enhanced} ${r.lines.join(' ')}`;

describe('outbound: connect_timeout against a host that never answers the SYN', () => {
  it('gives every recipient 450 4.4.1 [internal] Connection Timed Out, transient at stage 0, after connect_timeout', async () => {
    const hole = await startBlackHole('127.0.0.1');
    const h = new Harness({
      route: {
        kind: 'hosts',
        port: hole.port,
        ehloName: 'petrel.test',
        gateway: true,
        hosts: [{ name: 'relay.example.test', address: hole.host, family: 4, preference: 0 }],
      },
      global: `connect_timeout = "${CONNECT_TIMEOUT_MS}ms"\nbanner_timeout = "5s"`,
    });
    await h.svc.start();
    const started = Date.now();
    try {
      h.enqueue([makeJob('example.test', ['a', 'b']), makeJob('example.test', ['c'])]);
      await h.settled(2);
      const elapsed = Date.now() - started;
      assert.ok(
        elapsed >= CONNECT_TIMEOUT_MS - 20,
        `waited ${elapsed} ms: the connect failed at once, it did not time out`,
      );
      assert.ok(elapsed < 3000, `took ${elapsed} ms`);
      const outcomes = h.attempts.flatMap((a) => a.outcomes);
      assert.deepEqual(
        outcomes.map((o) => o.address),
        ['a@example.test', 'b@example.test', 'c@example.test'],
      );
      for (const o of outcomes) {
        assert.equal(text(o.reply), TIMED_OUT);
        assert.equal(o.status, 'transient');
        assert.equal(o.stage, 0);
      }
      assert.equal(h.sessionEvents.length, 0, 'no connect event for a connect that never completed');
    } finally {
      await h.svc.stop();
      await hole.stop();
    }
  });

  it('fails over to the next MX once connect_timeout passes on the first', async () => {
    const hole = await startBlackHole('127.0.0.2');
    const peer = await LinePeer.start();
    const h = new Harness({
      route: {
        kind: 'hosts',
        port: peer.port,
        ehloName: 'petrel.test',
        gateway: false,
        hosts: [
          { name: 'mx1.example.test', address: hole.host, family: 4, preference: 10, port: hole.port },
          { name: 'mx2.example.test', address: '127.0.0.1', family: 4, preference: 20 },
        ],
      },
      global: `connect_timeout = "${CONNECT_TIMEOUT_MS}ms"\nidle_timeout = "50ms"`,
    });
    await h.svc.start();
    const started = Date.now();
    try {
      h.enqueue([makeJob('example.test', ['a', 'b'])]);
      await h.settled(1);
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= CONNECT_TIMEOUT_MS - 20, `delivered after ${elapsed} ms: mx1 did not make it wait`);
      const a = h.attempts[0]!;
      assert.deepEqual(
        a.outcomes.map((o) => o.status),
        ['delivered', 'delivered'],
      );
      assert.deepEqual(a.remote, { host: 'mx2.example.test', ip: '127.0.0.1', port: peer.port });
      assert.equal(peer.connections, 1);
    } finally {
      await h.svc.stop();
      await Promise.all([hole.stop(), peer.stop()]);
    }
  });
});
