/**
 * One test per timeout class not covered elsewhere (banner, MAIL, body and data block are in
 * session-peer.test.ts): a scripted peer stalls on one command; short configured timeouts keep
 * every wait bounded. Each names Momentum's internal reply and stage code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SmtpSessionError } from './errors.js';
import { SmtpSession } from './session.js';
import { options, timeouts } from './fixtures.js';
import type { SessionTimeouts, Transaction } from './types.js';
import { ScriptedPeer, type PeerScript } from '@petrel/testkit';

const tx: Transaction = { sender: 'a@client.test', recipients: [{ address: 'b@x.test' }], body: Buffer.from('x\r\n') };

async function stalled(
  script: PeerScript,
  t: Partial<SessionTimeouts>,
  fn: (peer: ScriptedPeer, s: () => Promise<SmtpSession>) => Promise<void>,
): Promise<void> {
  const peer = await ScriptedPeer.start(script);
  try {
    await fn(peer, () => SmtpSession.open(options(peer.port, { pipelining: false, timeouts: timeouts(t) })));
  } finally {
    await peer.stop();
  }
}

const silentOn = (prefix: string): PeerScript => ({
  caps: ['8BITMIME'],
  reply: (l) => (l.startsWith(prefix) ? null : undefined),
});

test('ehlo_timeout: no EHLO reply fails open() with "no HELO/EHLO response" at stage 10, a timeout error', () =>
  stalled(silentOn('EHLO'), { ehlo: 150 }, async (_p, open) => {
    const started = Date.now();
    await assert.rejects(
      open(),
      (err: SmtpSessionError) =>
        err.reply.toString() === '451 4.4.2 [internal] no HELO/EHLO response' &&
        err.stage === 10 &&
        err.code === 'PETREL_ERR_SMTP_TIMEOUT',
    );
    assert.ok(Date.now() - started < 2000);
  }));

test('rcptto_timeout: no RCPT reply is "no RCPT TO response" at stage 4, session unusable', () =>
  stalled(silentOn('RCPT'), { rcptto: 150 }, async (_p, open) => {
    const s = await open();
    const r = await s.send(tx);
    assert.deepEqual(
      [r.recipients[0]!.reply.toString(), r.recipients[0]!.stage, r.recipients[0]!.status, r.sessionUsable],
      ['451 4.4.2 [internal] no RCPT TO response', 4, 'transient', false],
    );
  }));

test('data_timeout: no reply to DATA is "no DATA response" at stage 6', () =>
  stalled(silentOn('DATA'), { data: 150 }, async (_p, open) => {
    const s = await open();
    const r = await s.send(tx);
    assert.deepEqual(
      [r.recipients[0]!.reply.toString(), r.recipients[0]!.stage],
      ['451 4.4.2 [internal] no DATA response', 6],
    );
  }));

test('rset_timeout: no RSET reply makes reset() false without PIPELINING', () =>
  stalled(silentOn('RSET'), { rset: 150 }, async (_p, open) => {
    const s = await open();
    assert.equal((await s.send(tx)).recipients[0]!.status, 'delivered');
    assert.equal(await s.reset(), false);
    assert.equal(s.usable, false);
  }));

test('rset_timeout with PIPELINING: the deferred RSET that gets no reply leaves the next transaction transient at stage 13', async () => {
  // A stalled server answers nothing after the RSET (replies come in order: RFC 2920 §3.1).
  let stalledNow = false;
  const peer = await ScriptedPeer.start({
    caps: ['PIPELINING'],
    reply: (l) => {
      stalledNow ||= l === 'RSET';
      return stalledNow ? null : undefined;
    },
  });
  try {
    const s = await SmtpSession.open(options(peer.port, { timeouts: timeouts({ rset: 150 }) }));
    await s.send(tx);
    assert.equal(await s.reset(), true);
    const r = await s.send(tx);
    assert.deepEqual(
      [r.recipients[0]!.reply.toString(), r.recipients[0]!.stage, r.sessionUsable],
      ['451 4.4.2 [internal] no RSET response', 13, false],
    );
  } finally {
    await peer.stop();
  }
});

test('quit timeout: a QUIT that gets no reply still closes within the quit timeout', () =>
  stalled(silentOn('QUIT'), { quit: 150 }, async (_p, open) => {
    const s = await open();
    const started = Date.now();
    await s.quit();
    assert.ok(Date.now() - started < 1500);
    assert.equal(s.usable, false);
  }));
