/**
 * Timeouts of pipelined commands (RFC 2920 §3.1: MAIL, RCPT and DATA in one write, replies read in
 * order afterwards). Each command's reply waits for its own timeout class; a missing reply ends the
 * transaction with Momentum's "no … response" for every recipient, at the stage of the command that
 * got none, and the session is not reused: its reply stream no longer pairs with the commands.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SmtpSession } from './session.js';
import { options, timeouts } from './fixtures.js';
import type { SessionTimeouts, Transaction, TransactionResult } from './types.js';
import { ScriptedPeer, startSmtpSink, type PeerScript } from '@petrel/testkit';

const tx = (over: Partial<Transaction> = {}): Transaction => ({
  sender: 'a@client.test',
  recipients: [{ address: 'b@x.test' }, { address: 'c@x.test' }],
  body: Buffer.from('Subject: t\r\n\r\nhello\r\n'),
  ...over,
});

/** Silent from the first line starting with `prefix` on, as a stuck server is (its replies stay in order). */
function stallFrom(prefix: string, caps: readonly string[] = ['PIPELINING']): PeerScript {
  let stalled = false;
  return {
    caps,
    reply: (l) => {
      stalled ||= l.startsWith(prefix);
      return stalled ? null : undefined;
    },
  };
}

async function send(
  script: PeerScript,
  t: Partial<SessionTimeouts>,
  transaction = tx(),
): Promise<{ r: TransactionResult; ms: number; peer: ScriptedPeer }> {
  const peer = await ScriptedPeer.start(script);
  try {
    const s = await SmtpSession.open(options(peer.port, { timeouts: timeouts(t) }));
    const started = Date.now();
    const r = await s.send(transaction);
    return { r, ms: Date.now() - started, peer };
  } finally {
    await peer.stop();
  }
}

const summary = (r: TransactionResult): [string, string, number][] =>
  r.recipients.map((x) => [x.status, x.reply.toString(), x.stage]);

test('a pipelined RCPT the server never answers, while it answers DATA with 354, is "no RCPT TO response" for every recipient at stage 4', async () => {
  // The server skips the RCPT replies and goes on to DATA: the 354 cannot be a RCPT's reply.
  const { r, ms } = await send(
    { caps: ['PIPELINING'], reply: (l) => (l.startsWith('RCPT') ? null : undefined) },
    { rcptto: 1000, data: 60_000 },
  );
  assert.deepEqual(summary(r), [
    ['transient', '451 4.4.2 [internal] no RCPT TO response', 4],
    ['transient', '451 4.4.2 [internal] no RCPT TO response', 4],
  ]);
  assert.equal(r.sessionUsable, false);
  assert.ok(ms < 1500, `settled in ${ms} ms`);
});

test('a pipelined RCPT reply that never comes times out after rcptto, not the DATA timeout', async () => {
  const { r, ms } = await send(stallFrom('RCPT'), { rcptto: 300, data: 60_000 });
  assert.deepEqual(summary(r), [
    ['transient', '451 4.4.2 [internal] no RCPT TO response', 4],
    ['transient', '451 4.4.2 [internal] no RCPT TO response', 4],
  ]);
  assert.equal(r.sessionUsable, false);
  assert.ok(ms >= 250 && ms < 1500, `settled in ${ms} ms`);
});

test('a pipelined MAIL reply that never comes is "no MAIL FROM response" at stage 2 after mailfrom', async () => {
  const { r, ms } = await send(stallFrom('MAIL'), { mailfrom: 300, rcptto: 60_000, data: 60_000 });
  assert.deepEqual(summary(r), [
    ['transient', '451 4.4.2 [internal] no MAIL FROM response', 2],
    ['transient', '451 4.4.2 [internal] no MAIL FROM response', 2],
  ]);
  assert.equal(r.sessionUsable, false);
  assert.ok(ms < 1500, `settled in ${ms} ms`);
});

test('a pipelined DATA reply that never comes is "no DATA response" at stage 6 after data, nothing sent after it', async () => {
  const { r, ms, peer } = await send(stallFrom('DATA'), { data: 300, body: 60_000 });
  assert.deepEqual(summary(r), [
    ['transient', '451 4.4.2 [internal] no DATA response', 6],
    ['transient', '451 4.4.2 [internal] no DATA response', 6],
  ]);
  assert.equal(r.sessionUsable, false);
  assert.ok(ms < 1500, `settled in ${ms} ms`);
  assert.equal(peer.bodies.length, 0);
});

test('a pipelined BDAT reply that never comes is "no BDAT response" after body, session unusable', async () => {
  const { r, ms } = await send(
    { caps: ['PIPELINING', 'CHUNKING'], reply: (l) => (l === 'BDAT-LAST-DONE' ? null : undefined) },
    { body: 300, data: 60_000 },
  );
  assert.deepEqual(summary(r), [
    ['transient', '451 4.4.2 [internal] no BDAT response', 9],
    ['transient', '451 4.4.2 [internal] no BDAT response', 9],
  ]);
  assert.equal(r.sessionUsable, false);
  assert.ok(ms < 1500, `settled in ${ms} ms`);
});

test('a stalled pipelined RCPT whose later replies come first (smtp-sink -W rcpt:2) is never a permanent failure', async () => {
  // smtp-sink answers DATA ("503 5.5.1 need RCPT command") before the delayed RCPT: in the reply
  // order that 503 sits where the RCPT's reply belongs. No reply of that group can be paired.
  const sink = await startSmtpSink(['-W', 'rcpt:2']);
  try {
    for (const data of [1000, 10_000]) {
      const s = await SmtpSession.open(options(sink.port, { timeouts: timeouts({ rcptto: 500, data }) }));
      const r = await s.send(tx({ recipients: [{ address: 'b@x.test' }] }));
      const [res] = r.recipients;
      assert.equal(res!.status, 'transient', `data timeout ${data}: ${res!.reply.toString()}`);
      assert.match(res!.reply.toString(), /^451 4\.4\.2 \[internal\] no (RCPT TO|DATA) response$/);
      assert.equal(r.sessionUsable, false);
      s.destroy();
    }
  } finally {
    await sink.stop();
  }
});
