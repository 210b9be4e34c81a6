import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, hostsRoute, makeJob, recordingLogger } from './testkit/harness.js';
import { LinePeer } from '@petrel/testkit';

/** pino's numeric levels. */
const WARN = 40;
const DEBUG = 20;

describe('outbound: SMTP client events on the bus and in the operator log', () => {
  it('a malformed reply publishes syntax-warning with binding, domain and host, and logs it at warn', async () => {
    const peer = await LinePeer.start({ reply: (l) => (l.startsWith('MAIL') ? 'what?' : undefined) });
    const { logger, records } = recordingLogger('info');
    const h = new Harness({ route: hostsRoute(peer.port, ['127.0.0.1']), global: 'idle_timeout = "50ms"', logger });
    await h.svc.start();
    try {
      h.enqueue([makeJob('example.test', ['a'])]);
      await h.settled(1);
      assert.equal(h.attempts[0]!.outcomes[0]!.status, 'transient');
      const e = await h.sessionEvent((x) => x.event === 'syntax-warning');
      assert.equal(e.event, 'syntax-warning');
      assert.deepEqual(
        [e.binding, e.domain, e.host, e.ip],
        ['default', 'example.test', 'mx1.example.test', '127.0.0.1'],
      );
      assert.equal(e.event === 'syntax-warning' && e.details.line, 'what?');
      assert.match(e.connectionId, /^c\d+$/);
      const w = records.find((r) => r.msg === 'smtp reply syntax warning');
      assert.ok(w, 'a warn record');
      assert.equal(w.level, WARN);
      assert.deepEqual(
        [w.binding, w.domain, w.host, w.ip, w.line],
        ['default', 'example.test', 'mx1.example.test', '127.0.0.1', 'what?'],
      );
      assert.ok(!records.some((r) => r.level === DEBUG), 'no debug records at level info');
    } finally {
      await h.svc.stop();
      await peer.stop();
    }
  });

  it('a server without DSN: extension-not-available (DSN) per message on the bus, one warn per session; connect, message-sent, disconnect at debug', async () => {
    const peer = await LinePeer.start(); // advertises PIPELINING and ENHANCEDSTATUSCODES, no DSN
    const { logger, records } = recordingLogger('debug');
    const h = new Harness({ route: hostsRoute(peer.port, ['127.0.0.1']), global: 'idle_timeout = "5s"', logger });
    await h.svc.start();
    try {
      const dsn = { ret: 'HDRS', envid: 'ENV1' } as const;
      h.enqueue([
        { ...makeJob('example.test', ['a']), ...dsn },
        { ...makeJob('example.test', ['b']), ...dsn },
      ]);
      await h.settled(2);
      assert.ok(h.attempts.every((a) => a.outcomes[0]!.status === 'delivered'));
      assert.equal(peer.connections, 1);
      assert.ok(!peer.lines.some((l) => l.includes('RET=')), 'no DSN parameters sent');
    } finally {
      await h.svc.stop();
      await peer.stop();
    }
    await h.sessionEvent((e) => e.event === 'disconnect');
    const missing = h.sessionEvents.filter((e) => e.event === 'extension-not-available');
    assert.deepEqual(
      missing.map((e) => e.event === 'extension-not-available' && e.details.extension),
      ['DSN', 'DSN'],
    );
    assert.deepEqual(
      missing.map((e) => [e.binding, e.domain, e.host, e.ip]),
      [
        ['default', 'example.test', 'mx1.example.test', '127.0.0.1'],
        ['default', 'example.test', 'mx1.example.test', '127.0.0.1'],
      ],
    );
    assert.deepEqual(
      h.sessionEvents.map((e) => e.event),
      ['connect', 'extension-not-available', 'message-sent', 'extension-not-available', 'message-sent', 'disconnect'],
    );
    const sent = h.sessionEvents.find((e) => e.event === 'message-sent');
    assert.equal(sent?.event === 'message-sent' && sent.details.reply.code, 250);
    const warns = records.filter((r) => r.level === WARN && r.msg === 'smtp extension not available');
    assert.equal(warns.length, 1, 'warned once for the session');
    assert.deepEqual(
      [warns[0]!.extension, warns[0]!.binding, warns[0]!.domain, warns[0]!.host, warns[0]!.ip],
      ['DSN', 'default', 'example.test', 'mx1.example.test', '127.0.0.1'],
    );
    const debug = records
      .filter((r) => r.level === DEBUG && typeof r.msg === 'string' && r.msg.startsWith('smtp '))
      .map((r) => r.msg);
    assert.deepEqual(debug, ['smtp connect', 'smtp message sent', 'smtp message sent', 'smtp disconnect']);
  });

  it('a host that refuses at the banner has its connect and disconnect published with its name before failover', async () => {
    // RFC 5321 §3.1: a 554 greeting means this host will not talk; the next MX is tried.
    const refusing = await LinePeer.start({ banner: '554 5.7.1 go away' });
    const good = await LinePeer.start();
    const h = new Harness({
      route: {
        kind: 'hosts',
        port: good.port,
        ehloName: 'petrel.test',
        gateway: false,
        hosts: [
          { name: 'mx1.example.test', address: '127.0.0.1', family: 4, preference: 10, port: refusing.port },
          { name: 'mx2.example.test', address: '127.0.0.1', family: 4, preference: 20 },
        ],
      },
      global: 'idle_timeout = "50ms"',
    });
    await h.svc.start();
    try {
      h.enqueue([makeJob('example.test', ['a'])]);
      await h.settled(1);
      assert.equal(h.attempts[0]!.outcomes[0]!.status, 'delivered');
      await h.sessionEvent((e) => e.event === 'disconnect' && e.host === 'mx1.example.test');
      assert.deepEqual(
        h.sessionEvents.filter((e) => e.event === 'connect').map((e) => e.host),
        ['mx1.example.test', 'mx2.example.test'],
      );
      assert.equal(refusing.connections, 1);
    } finally {
      await h.svc.stop();
      await Promise.all([refusing.stop(), good.stop()]);
    }
  });
});
