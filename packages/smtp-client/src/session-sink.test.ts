/**
 * SmtpSession against the real smtp-sink (Postfix), faults injected with its own options.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SmtpSessionError } from './errors.js';
import { SmtpSession } from './session.js';
import { options, timeouts } from './fixtures.js';
import type { Transaction } from './types.js';
import { startSmtpSink } from '@petrel/testkit';

const tx = (...rcpts: string[]): Transaction => ({
  sender: 'a@client.test',
  recipients: rcpts.map((address) => ({ address })),
  body: Buffer.from('Subject: t\r\n\r\nhello\r\n'),
});

test('delivers two recipients in one pipelined transaction (all commands written before the first reply)', async () => {
  const sink = await startSmtpSink();
  const transcript: string[] = [];
  try {
    const s = await SmtpSession.open(options(sink.port, { onTranscript: (d, l) => transcript.push(`${d} ${l}`) }));
    assert.ok(s.capabilities.has('PIPELINING'));
    const r = await s.send(tx('b@x.test', 'c@x.test'));
    assert.deepEqual(
      r.recipients.map((x) => [x.address, x.status, x.reply.code, x.stage]),
      [
        ['b@x.test', 'delivered', 250, 9],
        ['c@x.test', 'delivered', 250, 9],
      ],
    );
    assert.equal(r.sessionUsable, true);
    const from = transcript.findIndex((l) => l.startsWith('c MAIL FROM'));
    assert.deepEqual(transcript.slice(from, from + 4), [
      'c MAIL FROM:<a@client.test>',
      'c RCPT TO:<b@x.test>',
      'c RCPT TO:<c@x.test>',
      'c DATA',
    ]);
    await s.quit();
    assert.equal(s.usable, false);
  } finally {
    await sink.stop();
  }
});

test('451 to RCPT (-r RCPT) makes every recipient transient at stage 4 and sends no body', async () => {
  const sink = await startSmtpSink(['-r', 'RCPT']);
  const transcript: string[] = [];
  try {
    const s = await SmtpSession.open(options(sink.port, { onTranscript: (d, l) => transcript.push(`${d} ${l}`) }));
    const r = await s.send(tx('b@x.test'));
    assert.equal(r.recipients[0]!.status, 'transient');
    assert.ok(r.recipients[0]!.reply.code >= 400 && r.recipients[0]!.reply.code < 500);
    assert.equal(r.recipients[0]!.stage, 4);
    assert.equal(r.sessionUsable, true);
    assert.equal(
      transcript.some((l) => l.startsWith('c [body')),
      false,
    );
    assert.equal(await s.reset(), true);
    await s.quit();
  } finally {
    await sink.stop();
  }
});

test('5xx to RCPT (-f RCPT) is permanent at stage 4', async () => {
  const sink = await startSmtpSink(['-f', 'RCPT', '-B', '550 5.1.1 No such user']);
  try {
    const s = await SmtpSession.open(options(sink.port));
    const r = await s.send(tx('b@x.test'));
    assert.equal(r.recipients[0]!.status, 'permanent');
    assert.equal(r.recipients[0]!.reply.code, 550);
    assert.equal(r.recipients[0]!.reply.enhanced, '5.1.1');
    assert.equal(r.recipients[0]!.stage, 4);
    await s.quit();
  } finally {
    await sink.stop();
  }
});

test('421 to RCPT (-Q RCPT) leaves every recipient transient with the 421 and the session unusable', async () => {
  const sink = await startSmtpSink(['-Q', 'RCPT']);
  try {
    const s = await SmtpSession.open(options(sink.port));
    const r = await s.send(tx('b@x.test', 'c@x.test'));
    assert.deepEqual(
      r.recipients.map((x) => [x.status, x.reply.code]),
      [
        ['transient', 421],
        ['transient', 421],
      ],
    );
    assert.equal(r.sessionUsable, false);
    s.destroy();
  } finally {
    await sink.stop();
  }
});

test('a silent disconnect after DATA (-q DATA) is transient "connection closed by remote host"', async () => {
  const sink = await startSmtpSink(['-q', 'DATA']);
  try {
    const s = await SmtpSession.open(options(sink.port));
    const r = await s.send(tx('b@x.test'));
    assert.equal(r.recipients[0]!.status, 'transient');
    assert.equal(
      `${String(r.recipients[0]!.reply.code)} ${r.recipients[0]!.reply.enhanced} ${r.recipients[0]!.reply.lines.join(' ')}`,
      '451 4.4.2 [internal] connection closed by remote host',
    );
    assert.equal(r.recipients[0]!.stage, 6);
    assert.equal(r.sessionUsable, false);
  } finally {
    await sink.stop();
  }
});

test('a RCPT reply slower than rcptto (-W rcpt:2) times out as "no RCPT TO response"', async () => {
  // Without pipelining: smtp-sink answers later commands before a delayed one, out of order.
  const sink = await startSmtpSink(['-W', 'rcpt:2']);
  try {
    const s = await SmtpSession.open(options(sink.port, { pipelining: false, timeouts: timeouts({ rcptto: 200 }) }));
    const started = Date.now();
    const r = await s.send(tx('b@x.test'));
    assert.ok(Date.now() - started < 1500);
    assert.equal(r.recipients[0]!.reply.lines[0], '[internal] no RCPT TO response');
    assert.equal(r.recipients[0]!.stage, 4);
    assert.equal(r.sessionUsable, false);
  } finally {
    await sink.stop();
  }
});

test('two transactions over one session with reset() in between', async () => {
  const sink = await startSmtpSink();
  try {
    const s = await SmtpSession.open(options(sink.port));
    const first = await s.send(tx('b@x.test'));
    assert.equal(await s.reset(), true);
    const second = await s.send(tx('c@x.test'));
    assert.equal(first.recipients[0]!.status, 'delivered');
    assert.equal(second.recipients[0]!.status, 'delivered');
    await s.quit();
  } finally {
    await sink.stop();
  }
});

test('a 421 banner (-Q CONNECT) rejects open() with tryNextHost at stage 12', async () => {
  const sink = await startSmtpSink(['-Q', 'CONNECT']);
  try {
    await assert.rejects(SmtpSession.open(options(sink.port)), (err: SmtpSessionError) => {
      assert.equal(err.name, 'SmtpSessionError');
      assert.equal(err.reply.code, 421);
      assert.equal(err.stage, 12);
      assert.equal(err.tryNextHost, true);
      return true;
    });
  } finally {
    await sink.stop();
  }
});
