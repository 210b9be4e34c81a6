/**
 * SmtpSession against a scripted peer that records how bytes arrive: pipelining on the wire,
 * timeouts, banner and EHLO failures, MAIL/RCPT parameters and internal refusals.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SmtpSessionError } from './errors.js';
import { SmtpSession } from './session.js';
import { options, timeouts } from './fixtures.js';
import type { Transaction } from './types.js';
import { ScriptedPeer, freePort, type PeerScript } from '@petrel/testkit';

const tx = (over: Partial<Transaction> = {}): Transaction => ({
  sender: 'a@client.test',
  recipients: [{ address: 'b@x.test' }, { address: 'c@x.test' }],
  body: Buffer.from('Subject: t\r\n\r\nhello\r\n'),
  ...over,
});

async function withPeer(script: PeerScript, fn: (peer: ScriptedPeer) => Promise<void>, host?: string): Promise<void> {
  const peer = await ScriptedPeer.start(script, host);
  try {
    await fn(peer);
  } finally {
    await peer.stop();
  }
}

test('with PIPELINING, MAIL, every RCPT and DATA arrive in one write', () =>
  withPeer({ caps: ['PIPELINING'] }, async (peer) => {
    const s = await SmtpSession.open(options(peer.port));
    const r = await s.send(tx());
    assert.deepEqual(
      r.recipients.map((x) => x.status),
      ['delivered', 'delivered'],
    );
    const chunk = peer.chunks.find((c) => c.startsWith('MAIL FROM'));
    assert.equal(chunk, 'MAIL FROM:<a@client.test>\r\nRCPT TO:<b@x.test>\r\nRCPT TO:<c@x.test>\r\nDATA\r\n');
    await s.quit();
  }));

test('without PIPELINING, one command per write', () =>
  withPeer({ caps: ['8BITMIME'] }, async (peer) => {
    const s = await SmtpSession.open(options(peer.port));
    await s.send(tx());
    const start = peer.chunks.findIndex((c) => c.startsWith('MAIL FROM'));
    assert.deepEqual(peer.chunks.slice(start, start + 4), [
      'MAIL FROM:<a@client.test>\r\n',
      'RCPT TO:<b@x.test>\r\n',
      'RCPT TO:<c@x.test>\r\n',
      'DATA\r\n',
    ]);
    await s.quit();
  }));

test('no banner within the banner timeout is 451 4.4.2 [internal] no banner, a timeout error', () =>
  withPeer({ banner: null }, async (peer) => {
    const started = Date.now();
    await assert.rejects(
      SmtpSession.open(options(peer.port, { timeouts: timeouts({ banner: 150 }) })),
      (err: SmtpSessionError) => {
        assert.equal(err.reply.toString(), '451 4.4.2 [internal] no banner');
        assert.equal(err.code, 'PETREL_ERR_SMTP_TIMEOUT');
        assert.equal(err.stage, 12);
        assert.equal(err.tryNextHost, true);
        return true;
      },
    );
    assert.ok(Date.now() - started < 2000);
  }));

test('a 554 banner rejects open() with the banner reply and tryNextHost', () =>
  withPeer({ banner: '554 5.7.1 go away' }, async (peer) => {
    await assert.rejects(
      SmtpSession.open(options(peer.port)),
      (err: SmtpSessionError) => err.reply.code === 554 && err.tryNextHost === true,
    );
  }));

test('EHLO refused with 502 falls back to HELO, with no capabilities', () =>
  withPeer({ reply: (l) => (l.startsWith('EHLO') ? '502 5.5.2 no EHLO here' : undefined) }, async (peer) => {
    const s = await SmtpSession.open(options(peer.port));
    assert.ok(peer.lines.includes('HELO client.test'));
    assert.equal(s.capabilities.size, 0);
    const r = await s.send(tx());
    assert.equal(r.recipients[0]!.status, 'delivered');
    await s.quit();
  }));

test('a final dot with no reply within body timeout is "no BODY response" at stage 9', () =>
  withPeer({ reply: (l) => (l === '.' ? null : undefined) }, async (peer) => {
    const s = await SmtpSession.open(options(peer.port, { timeouts: timeouts({ body: 150 }) }));
    const r = await s.send(tx());
    assert.deepEqual(
      r.recipients.map((x) => [x.status, x.reply.lines[0], x.stage]),
      [
        ['transient', '[internal] no BODY response', 9],
        ['transient', '[internal] no BODY response', 9],
      ],
    );
    assert.equal(r.sessionUsable, false);
  }));

test('a MAIL reply that never comes is "no MAIL FROM response" at stage 2', () =>
  withPeer({ reply: (l) => (l.startsWith('MAIL') ? null : undefined) }, async (peer) => {
    const s = await SmtpSession.open(options(peer.port, { pipelining: false, timeouts: timeouts({ mailfrom: 150 }) }));
    const r = await s.send(tx());
    assert.equal(r.recipients[0]!.reply.toString(), '451 4.4.2 [internal] no MAIL FROM response');
    assert.equal(r.recipients[0]!.stage, 2);
  }));

test('a body above the advertised SIZE fails permanently with 552 5.3.4 without sending MAIL', () =>
  withPeer({ caps: ['PIPELINING', 'SIZE 10'] }, async (peer) => {
    const s = await SmtpSession.open(options(peer.port));
    const r = await s.send(tx());
    assert.deepEqual(
      r.recipients.map((x) => [x.status, x.reply.code, x.reply.enhanced]),
      [
        ['permanent', 552, '5.3.4'],
        ['permanent', 552, '5.3.4'],
      ],
    );
    assert.equal(
      peer.lines.some((l) => l.startsWith('MAIL')),
      false,
    );
    assert.equal(r.sessionUsable, true);
    await s.quit();
  }));

test('SMTPUTF8 with a UTF-8 address to a server that does not advertise it fails with 553 5.6.7 and an extension-not-available event', () =>
  withPeer({ caps: ['PIPELINING'] }, async (peer) => {
    const missing: string[] = [];
    const s = await SmtpSession.open(options(peer.port), (sess) =>
      sess.on('extension-not-available', (n: string) => missing.push(n)),
    );
    const r = await s.send(tx({ smtputf8: true, recipients: [{ address: 'b@x.test' }, { address: '用户@x.test' }] }));
    assert.deepEqual(
      r.recipients.map((x) => [x.status, x.reply.toString()]),
      [
        ['permanent', '553 5.6.7 [internal] SMTPUTF8 required but not advertised'],
        ['permanent', '553 5.6.7 [internal] SMTPUTF8 required but not advertised'],
      ],
    );
    assert.deepEqual(missing, ['SMTPUTF8']);
    assert.equal(
      peer.lines.some((l) => l.startsWith('MAIL')),
      false,
    );
    await s.quit();
  }));

test('SMTPUTF8 with a UTF-8 header to a server that does not advertise it fails with 553 5.6.7', () =>
  withPeer({ caps: ['PIPELINING'] }, async (peer) => {
    const s = await SmtpSession.open(options(peer.port));
    const r = await s.send(tx({ smtputf8: true, body: Buffer.from('Subject: 你好\r\n\r\nhello\r\n') }));
    assert.equal(r.recipients[0]!.reply.toString(), '553 5.6.7 [internal] SMTPUTF8 required but not advertised');
    assert.equal(
      peer.lines.some((l) => l.startsWith('MAIL')),
      false,
    );
    await s.quit();
  }));

test('an all-ASCII SMTPUTF8 message goes to a server without SMTPUTF8, without the parameter (RFC 6531 §3.4)', () =>
  withPeer({ caps: ['PIPELINING', '8BITMIME'] }, async (peer) => {
    const missing: string[] = [];
    const s = await SmtpSession.open(options(peer.port), (sess) =>
      sess.on('extension-not-available', (n: string) => missing.push(n)),
    );
    // 8-bit octets in the body only: that is 8BITMIME's business, not SMTPUTF8's.
    const r = await s.send(
      tx({ smtputf8: true, bodyType: '8BITMIME', body: Buffer.from('Subject: t\r\n\r\nhéllo 用户\r\n') }),
    );
    assert.deepEqual(
      r.recipients.map((x) => x.status),
      ['delivered', 'delivered'],
    );
    assert.ok(peer.lines.includes('MAIL FROM:<a@client.test> BODY=8BITMIME'), peer.lines.join('\n'));
    assert.deepEqual(missing, ['SMTPUTF8']);
    await s.quit();
  }));

test('SIZE, BODY=8BITMIME, SMTPUTF8 and DSN parameters are sent only when advertised, xtext-encoded', async () => {
  const t = tx({
    bodyType: '8BITMIME',
    smtputf8: true,
    ret: 'HDRS',
    envid: 'id+1 x',
    recipients: [{ address: 'b@x.test', notify: ['SUCCESS', 'FAILURE'], orcpt: 'rfc822;b+1@x.test' }],
  });
  await withPeer({ caps: ['PIPELINING', 'SIZE 1000', '8BITMIME', 'SMTPUTF8', 'DSN'] }, async (peer) => {
    const s = await SmtpSession.open(options(peer.port));
    await s.send(t);
    assert.ok(
      peer.lines.includes(
        `MAIL FROM:<a@client.test> SIZE=${t.body.length} BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=id+2B1+20x`,
      ),
    );
    assert.ok(peer.lines.includes('RCPT TO:<b@x.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b+2B1@x.test'));
    await s.quit();
  });
  await withPeer({ caps: ['PIPELINING', 'SMTPUTF8'] }, async (peer) => {
    const s = await SmtpSession.open(options(peer.port));
    await s.send(t);
    assert.ok(peer.lines.includes('MAIL FROM:<a@client.test> SMTPUTF8'));
    assert.ok(peer.lines.includes('RCPT TO:<b@x.test>'));
    await s.quit();
  });
});

test('a pipelined DATA that gets 354 after every RCPT failed is ended with a lone dot and the session stays usable', () =>
  withPeer(
    { caps: ['PIPELINING'], reply: (l) => (l.startsWith('RCPT') ? '550 5.1.1 no' : undefined) },
    async (peer) => {
      const s = await SmtpSession.open(options(peer.port));
      const r = await s.send(tx());
      assert.deepEqual(
        r.recipients.map((x) => [x.status, x.stage]),
        [
          ['permanent', 4],
          ['permanent', 4],
        ],
      );
      assert.deepEqual(peer.bodies, ['']);
      assert.equal(r.sessionUsable, true);
      assert.equal(await s.reset(), true);
      await s.quit();
    },
  ));

test('tls=required without STARTTLS advertised is 451 4.7.6 with tryNextHost', () =>
  withPeer({ caps: ['PIPELINING'] }, async (peer) => {
    await assert.rejects(SmtpSession.open(options(peer.port, { tls: 'required' })), (err: SmtpSessionError) => {
      assert.equal(err.reply.toString(), '451 4.7.6 [internal] STARTTLS required but not advertised');
      assert.equal(err.tryNextHost, true);
      return true;
    });
  }));

test('a refused connection is 421 4.4.0 with the errno, stage 0, tryNextHost', async () => {
  const port = await freePort();
  await assert.rejects(SmtpSession.open(options(port)), (err: SmtpSessionError) => {
    assert.equal(err.reply.toString(), '421 4.4.0 [internal] connection refused (ECONNREFUSED)');
    assert.equal(err.stage, 0);
    assert.equal(err.tryNextHost, true);
    return true;
  });
});

test('the socket binds the given source address', () =>
  withPeer({}, async (peer) => {
    const s = await SmtpSession.open(options(peer.port, { localAddress: '127.0.0.2' }));
    assert.equal(peer.clients[0]!.address, '127.0.0.2');
    assert.equal(s.localAddress, '127.0.0.2');
    await s.quit();
  }));

test('events follow libESMTP: connect, mail-status, rcpt-status, message-data, message-sent, disconnect', () =>
  withPeer({}, async (peer) => {
    const seen: string[] = [];
    const names = ['connect', 'mail-status', 'rcpt-status', 'message-data', 'message-sent', 'disconnect'];
    const s = await SmtpSession.open(options(peer.port), (sess) => {
      for (const n of names) sess.on(n, () => seen.push(n));
    });
    await s.send(tx());
    await s.quit();
    assert.deepEqual(seen, [
      'connect',
      'mail-status',
      'rcpt-status',
      'rcpt-status',
      'message-data',
      'message-sent',
      'disconnect',
    ]);
  }));

test('a malformed reply raises syntax-warning and leaves the session unusable, not crashed', () =>
  withPeer({ reply: (l) => (l.startsWith('MAIL') ? 'what?' : undefined) }, async (peer) => {
    const warnings: unknown[] = [];
    const s = await SmtpSession.open(options(peer.port, { pipelining: false }), (sess) =>
      sess.on('syntax-warning', (w) => warnings.push(w)),
    );
    const r = await s.send(tx());
    assert.equal(warnings.length, 1);
    assert.equal(r.recipients[0]!.status, 'transient');
    assert.equal(r.sessionUsable, false);
    s.destroy();
  }));

test('a body the peer stops reading fails the data block timeout as "send BODY failed" at stage 8', () =>
  withPeer({ stallBody: true }, async (peer) => {
    const s = await SmtpSession.open(options(peer.port, { timeouts: timeouts({ dataBlock: 200 }) }));
    const progress: number[] = [];
    s.on('message-data', (n: number) => progress.push(n));
    const started = Date.now();
    const r = await s.send(tx({ body: Buffer.alloc(64 * 1024 * 1024, 0x61) }));
    assert.ok(Date.now() - started < 5000);
    assert.equal(r.recipients[0]!.reply.toString(), '451 4.4.2 [internal] send BODY failed');
    assert.equal(r.recipients[0]!.stage, 8);
    assert.ok(progress.length < 1024, 'stopped writing once the socket backed up');
    assert.equal(r.sessionUsable, false);
  }));
