import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient, startListener } from './harness.js';
import { buildStoreRequest, missingHeaders } from './transaction.js';

const T = { timeout: 20_000 };

test(
  'max_connections_per_ip refuses the next connection from that address with 421 4.7.0; others still get in',
  T,
  async (t) => {
    const h = await startListener({ listener: ['max_connections_per_ip = 2'] });
    t.after(() => h.close());
    const a = await RawClient.open(h.port, '127.0.0.5');
    const b = await RawClient.open(h.port, '127.0.0.5');
    t.after(() => {
      a.destroy();
      b.destroy();
    });
    const c = await RawClient.connect(h.port, '127.0.0.5');
    assert.equal(await c.reply(), '421 4.7.0 Too many connections from 127.0.0.5\r\n');
    await c.closed;
    const d = await RawClient.connect(h.port, '127.0.0.6');
    t.after(() => d.destroy());
    assert.match(await d.reply(), /^220 /);
    a.destroy();
    await a.closed;
    // The slot frees once the session has closed on the server side too.
    for (let i = 0; i < 50 && h.listener.stats().connectionsOpen > 2; i++) await new Promise((r) => setTimeout(r, 10));
    const e = await RawClient.connect(h.port, '127.0.0.5');
    t.after(() => e.destroy());
    assert.match(await e.reply(), /^220 /);
  },
);

test(
  'greeting_delay: a client that talks before the 220 gets 554 5.5.1 and is dropped; a patient one is greeted',
  T,
  async (t) => {
    const h = await startListener({ listener: ['greeting_delay = "300ms"'] });
    t.after(() => h.close());
    const early = await RawClient.connect(h.port);
    t.after(() => early.destroy());
    early.send('EHLO spam.test\r\n');
    assert.equal(await early.reply(), '554 5.5.1 Error: talked before the greeting\r\n');
    await early.closed;
    assert.equal(h.rejected.at(-1)?.phase, 'sending banner');
    const patient = await RawClient.connect(h.port);
    t.after(() => patient.destroy());
    const started = Date.now();
    assert.match(await patient.reply(), /^220 /);
    assert.ok(Date.now() - started >= 250);
  },
);

test('a DATA line over 998 characters is refused with 554 5.6.0; exactly 998 is accepted', T, async (t) => {
  const h = await startListener();
  t.after(() => h.close());
  const c = await RawClient.open(h.port);
  t.after(() => c.destroy());
  await c.cmd('EHLO client.test');
  const send = async (line: string): Promise<string> => {
    await c.cmd('MAIL FROM:<a@test.local>');
    await c.cmd('RCPT TO:<x@example.test>');
    await c.cmd('DATA');
    return c.cmd(`Subject: long\r\n\r\n${line}\r\n.`);
  };
  assert.match(await send('x'.repeat(998)), /^250 2\.0\.0 Ok: queued/);
  assert.match(await send(`.${'x'.repeat(998)}`), /^250 2\.0\.0 Ok: queued/, 'the transparency dot does not count');
  assert.match(await send('x'.repeat(999)), /^554 5\.6\.0 Message has a line longer than 998/);
  assert.equal(h.stored.length, 2);
});

test('Message-ID and Date are added when missing and left alone when present', T, async (t) => {
  const h = await startListener({ listener: ['add_missing_headers = true', 'trace_header = false'] });
  t.after(() => h.close());
  const c = await RawClient.open(h.port);
  t.after(() => c.destroy());
  await c.cmd('EHLO client.test');
  for (const text of [
    'Subject: none\r\n\r\nbody',
    'message-id: <a@b>\r\nDATE: Thu, 1 Jan 2026 00:00:00 +0000\r\n\r\nbody',
  ]) {
    await c.cmd('MAIL FROM:<a@test.local>');
    await c.cmd('RCPT TO:<x@example.test>');
    await c.cmd('DATA');
    assert.match(await c.cmd(`${text}\r\n.`), /^250 /);
  }
  const [first, second] = h.stored.map((s) => s.body.toString());
  assert.match(
    first!,
    /^Message-ID: <\w+@mx\.petrel\.test>\r\nDate: \w{3}, \d+ \w{3} \d{4} [\d:]{8} \+0000\r\nSubject: none\r\n/,
  );
  assert.ok(second!.startsWith('message-id: <a@b>\r\n'));
  // A "Date:" in the body does not count as a header.
  assert.deepEqual(missingHeaders(Buffer.from('Subject: x\r\n\r\nDate: not a header\r\n')), {
    messageId: true,
    date: true,
  });
});

test('max_errors bad commands end the session with 421 4.7.0', T, async (t) => {
  const h = await startListener({ listener: ['max_errors = 3'] });
  t.after(() => h.close());
  const c = await RawClient.open(h.port);
  t.after(() => c.destroy());
  c.send('FOO\r\nBAR\r\nBAZ\r\nNOOP\r\n');
  for (let i = 0; i < 3; i++) assert.match(await c.reply(), /^500 5\.5\.2 /);
  assert.match(await c.reply(), /^421 4\.7\.0 .*too many errors/);
  await c.closed;
});

test(
  'past junk_command_limit each NOOP/RSET/VRFY counts towards max_errors (Postfix smtpd_junk_command_limit)',
  T,
  async (t) => {
    const h = await startListener({ listener: ['max_errors = 3', 'junk_command_limit = 5'] });
    t.after(() => h.close());
    const c = await RawClient.open(h.port);
    t.after(() => c.destroy());
    c.send('EHLO c.test\r\n');
    assert.match(await c.reply(), /^250[ -]/);
    c.send('NOOP\r\nRSET\r\nVRFY x\r\nNOOP\r\nNOOP\r\n');
    assert.match(await c.reply(), /^250 /);
    assert.match(await c.reply(), /^250 /);
    assert.match(await c.reply(), /^252 /);
    assert.match(await c.reply(), /^250 /);
    assert.match(await c.reply(), /^250 /);
    c.send('NOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\n');
    for (let i = 0; i < 3; i++) assert.match(await c.reply(), /^250 /, 'still answered, but counted');
    assert.match(await c.reply(), /^421 4\.7\.0 .*too many errors/);
    await c.closed;
  },
);

test('Message-ID and Date are looked for in the header section even when it spans several received pieces, never in the body', () => {
  const tx = {
    sender: 'a@test.local',
    recipients: [{ address: 'x@example.test', domain: 'example.test' }],
    smtputf8: false,
  };
  const ctx = {
    id: 'ID1',
    receivedAt: 0,
    hostname: 'mx.petrel.test',
    traceHeader: false,
    addMissingHeaders: true,
    client: { address: '127.0.0.1', port: 1, helo: 'c' },
    esmtp: true,
  };
  const split = ['Subject: x\r\nMessage-', 'ID: <m@x>\r', '\n\r', '\nDate: in the body\r\n'].map((p) => Buffer.from(p));
  const body = buildStoreRequest(tx, split, ctx).body.toString();
  assert.ok(body.startsWith('Date: '), 'Date added: the one in the body does not count');
  assert.ok(!body.includes('Message-ID: <ID1@'), 'the Message-ID in the second piece was seen');
  assert.ok(
    body.endsWith('Subject: x\r\nMessage-ID: <m@x>\r\n\r\nDate: in the body\r\n'),
    'the pieces joined in order',
  );
});

test(
  'errors and junk commands are forgiven after each accepted message: 200 messages with RSET between them on one connection',
  T,
  async (t) => {
    const h = await startListener();
    t.after(() => h.close());
    const c = await RawClient.open(h.port);
    t.after(() => c.destroy());
    await c.cmd('EHLO client.test');
    for (let i = 0; i < 200; i++) {
      // One pipelined write per message (RFC 2920), as Petrel's own client sends it.
      c.send('MAIL FROM:<a@test.local>\r\nRCPT TO:<x@example.test>\r\nDATA\r\nSubject: n\r\n\r\nbody\r\n.\r\nRSET\r\n');
      assert.match(await c.reply(), /^250 /, `message ${i + 1}`);
      assert.match(await c.reply(), /^250 /);
      assert.match(await c.reply(), /^354 /);
      assert.match(await c.reply(), /^250 2\.0\.0 Ok: queued/);
      assert.match(await c.reply(), /^250 /, `RSET after message ${i + 1}`);
    }
    assert.equal(h.stored.length, 200);
  },
);

test('without an accepted message errors still add up to max_errors across RSETs', T, async (t) => {
  const h = await startListener({ listener: ['max_errors = 4'] });
  t.after(() => h.close());
  const c = await RawClient.open(h.port);
  t.after(() => c.destroy());
  await c.cmd('EHLO client.test');
  for (let i = 0; i < 3; i++) {
    assert.match(await c.cmd('FOO'), /^500 /);
    assert.match(await c.cmd('RSET'), /^250 /);
  }
  c.send('FOO\r\n');
  assert.match(await c.reply(), /^500 /);
  assert.match(await c.reply(), /^421 4\.7\.0 .*too many errors/);
  await c.closed;
});

test(
  'RCPTs past max_recipients + recipient_overshoot_limit count as errors: the session ends with 421 after a bounded number',
  T,
  async (t) => {
    const h = await startListener({
      listener: ['max_recipients = 2', 'recipient_overshoot_limit = 3', 'max_errors = 4'],
    });
    t.after(() => h.close());
    const c = await RawClient.open(h.port);
    t.after(() => c.destroy());
    await c.cmd('EHLO client.test');
    await c.cmd('MAIL FROM:<a@test.local>');
    c.send('RCPT TO:<x@example.test>\r\n'.repeat(100));
    const replies: string[] = [];
    for (;;) {
      const r = await c.reply().catch(() => undefined);
      if (r === undefined) break;
      replies.push(r);
      if (r.startsWith('421')) break;
    }
    await c.closed;
    // 2 accepted, 3 overshoot 452s forgiven, then 4 452s counted as errors, then 421.
    assert.deepEqual(
      replies.map((r) => r.slice(0, 3)),
      ['250', '250', '452', '452', '452', '452', '452', '452', '452', '421'],
    );
    assert.match(replies.at(-1)!, /^421 4\.7\.0 .*too many errors/);
  },
);

test(
  'hopcount_limit: more Received: headers than the limit is a mail loop, 554 5.4.6 at the end of DATA and BDAT LAST; the limit itself passes',
  T,
  async (t) => {
    const h = await startListener({ listener: ['hopcount_limit = 5'] });
    t.after(() => h.close());
    const c = await RawClient.open(h.port);
    t.after(() => c.destroy());
    await c.cmd('EHLO client.test');
    const message = (hops: number): string =>
      `${'Received: from a by b; Thu, 1 Jan 2026 00:00:00 +0000\r\n'.repeat(hops)}Subject: loop\r\n\r\nbody\r\n`;
    const viaData = async (hops: number): Promise<string> => {
      await c.cmd('MAIL FROM:<a@test.local>');
      await c.cmd('RCPT TO:<x@example.test>');
      await c.cmd('DATA');
      return c.cmd(`${message(hops)}.`);
    };
    assert.match(await viaData(5), /^250 2\.0\.0 Ok: queued/);
    assert.equal(await viaData(6), '554 5.4.6 Too many hops (6 > 5): mail loop?\r\n');
    assert.equal(h.rejected.at(-1)?.phase, 'reading body');
    assert.equal(h.rejected.at(-1)?.sender, 'a@test.local');
    await c.cmd('MAIL FROM:<a@test.local>');
    await c.cmd('RCPT TO:<x@example.test>');
    const body = message(7);
    c.send(`BDAT 20\r\n${body.slice(0, 20)}`);
    assert.match(await c.reply(), /^250 /);
    c.send(`BDAT ${Buffer.byteLength(body) - 20} LAST\r\n${body.slice(20)}`);
    assert.equal(await c.reply(), '554 5.4.6 Too many hops (7 > 5): mail loop?\r\n');
    assert.equal(h.rejected.at(-1)?.phase, 'reading chunk');
    assert.equal(h.stored.length, 1);
  },
);
