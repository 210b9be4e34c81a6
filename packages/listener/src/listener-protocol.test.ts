import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HOSTNAME, RawClient, startListener } from './harness.js';

const T = { timeout: 20_000 };

test('greets with 220 <hostname> ESMTP Petrel and advertises the extensions on EHLO', T, async (t) => {
  const h = await startListener({ listener: ['max_message_size = "10MB"'] });
  t.after(() => h.close());
  const c = await RawClient.connect(h.port);
  t.after(() => c.destroy());
  assert.equal(await c.reply(), `220 ${HOSTNAME} ESMTP Petrel\r\n`);
  assert.equal(
    await c.cmd('EHLO client.test'),
    `250-${HOSTNAME}\r\n250-PIPELINING\r\n250-SIZE 10000000\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-ENHANCEDSTATUSCODES\r\n` +
      `250-DSN\r\n250-CHUNKING\r\n250 BINARYMIME\r\n`,
  );
  assert.equal(await c.cmd('QUIT'), '221 2.0.0 Bye\r\n');
  await c.closed;
});

test('answers every command with an enhanced code and refuses bad sequences with 503 5.5.1', T, async (t) => {
  const h = await startListener();
  t.after(() => h.close());
  const c = await RawClient.open(h.port);
  t.after(() => c.destroy());
  assert.match(await c.cmd('MAIL FROM:<a@test.local>'), /^503 5\.5\.1 /);
  assert.match(await c.cmd('HELO client.test'), /^250 mx\.petrel\.test\r\n$/);
  assert.match(await c.cmd('RCPT TO:<x@example.test>'), /^503 5\.5\.1 Error: need MAIL/);
  assert.match(await c.cmd('DATA'), /^503 5\.5\.1 /);
  assert.match(await c.cmd('FOO bar'), /^500 5\.5\.2 /);
  assert.match(await c.cmd('NOOP'), /^250 2\.0\.0 /);
  assert.match(await c.cmd('VRFY x'), /^252 2\.5\.0 /);
  assert.match(await c.cmd('HELP'), /^214 2\.0\.0 /);
  assert.match(await c.cmd('MAIL FROM:<a@test.local> SIZE=10'), /^555 5\.5\.4 /, 'no parameters after HELO');
  assert.match(await c.cmd('MAIL FROM:<a@test.local>'), /^250 2\.1\.0 /);
  assert.match(await c.cmd('MAIL FROM:<a@test.local>'), /^503 5\.5\.1 Error: nested MAIL/);
  assert.match(await c.cmd('DATA'), /^503 5\.5\.1 Error: need RCPT/);
  assert.match(await c.cmd('RSET'), /^250 2\.0\.0 /);
  assert.match(await c.cmd('RCPT TO:<x@example.test>'), /^503 5\.5\.1 /);
  assert.equal(h.rejected.filter((r) => r.reply.code === 503).length, 6, 'refused MAIL/RCPT/DATA are published');
});

test('MAIL syntax errors get 501 5.5.4, unknown parameters 555 5.5.4, the null sender is allowed', T, async (t) => {
  const h = await startListener();
  t.after(() => h.close());
  const c = await RawClient.open(h.port);
  t.after(() => c.destroy());
  await c.cmd('EHLO client.test');
  assert.match(await c.cmd('MAIL FROM:a@test.local'), /^501 5\.5\.4 /);
  assert.match(await c.cmd('MAIL FROM:<a@test.local> BODY=BINARY'), /^501 5\.5\.4 /);
  assert.match(await c.cmd('MAIL FROM:<a@test.local> SIZE=abc'), /^501 5\.5\.4 /);
  assert.match(await c.cmd('MAIL FROM:<a@test.local> FOO=1'), /^555 5\.5\.4 /);
  assert.match(await c.cmd('MAIL FROM:<jöran@test.local>'), /^553 5\.6\.7 /, 'non-ASCII needs SMTPUTF8');
  assert.match(await c.cmd('MAIL FROM:<>'), /^250 2\.1\.0 /);
  assert.match(await c.cmd('RCPT TO:<nodomain>'), /^501 5\.1\.3 /);
  assert.match(await c.cmd('RCPT TO:<>'), /^501 5\.1\.3 /);
  assert.match(await c.cmd('RCPT TO:<x@example.test> XNOTIFY=NEVER'), /^555 5\.5\.4 /);
  assert.match(await c.cmd('RCPT TO:<x@example.test>'), /^250 2\.1\.5 /);
  const mailRejects = h.rejected.filter((r) => r.phase === 'awaiting mailfrom');
  assert.equal(mailRejects.length, 5);
  assert.equal(mailRejects[0]?.helo, 'client.test');
});

test('a declared SIZE over max_message_size is refused at MAIL with 552 5.3.4', T, async (t) => {
  const h = await startListener({ listener: ['max_message_size = 1000'] });
  t.after(() => h.close());
  const c = await RawClient.open(h.port);
  t.after(() => c.destroy());
  await c.cmd('EHLO client.test');
  assert.equal(await c.cmd('MAIL FROM:<a@test.local> SIZE=1001'), '552 5.3.4 Message size exceeds fixed limit\r\n');
  assert.match(await c.cmd('MAIL FROM:<a@test.local> SIZE=1000'), /^250 /);
  assert.equal(h.rejected[0]?.sender, 'a@test.local');
});

test('a pipelined MAIL+RCPT×3+DATA batch gets its five replies in one read', T, async (t) => {
  const h = await startListener();
  t.after(() => h.close());
  const c = await RawClient.open(h.port);
  t.after(() => c.destroy());
  await c.cmd('EHLO client.test');
  const before = c.reads;
  c.send(
    'MAIL FROM:<a@test.local>\r\nRCPT TO:<x@example.test>\r\nRCPT TO:<y@example.test>\r\nRCPT TO:<z@example.test>\r\nDATA\r\n',
  );
  const chunk = await c.read(before);
  assert.equal(
    chunk,
    '250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n',
  );
  c.send('Subject: p\r\n\r\nbody\r\n.\r\nQUIT\r\n');
  assert.match(await c.read(before + 1), /^250 2\.0\.0 Ok: queued as \w+\r\n221 2\.0\.0 Bye\r\n$/);
  assert.equal(h.stored.length, 1);
  assert.deepEqual(
    h.stored[0]?.envelope.recipients.map((r) => r.address),
    ['x@example.test', 'y@example.test', 'z@example.test'],
  );
});

test(
  'the stored body is the Received header plus the data, dot-unstuffed, with the envelope filled in',
  T,
  async (t) => {
    const h = await startListener();
    t.after(() => h.close());
    const c = await RawClient.open(h.port);
    t.after(() => c.destroy());
    await c.cmd('EHLO client.test');
    await c.cmd('MAIL FROM:<a@test.local> BODY=8BITMIME');
    await c.cmd('RCPT TO:<X@Example.Test>');
    assert.match(await c.cmd('DATA'), /^354 /);
    const reply = await c.cmd('Subject: dots\r\n\r\n..leading\r\n...two\r\n.\r\n');
    const id = /^250 2\.0\.0 Ok: queued as (\w+)\r\n$/.exec(reply)?.[1];
    assert.ok(id);
    const req = h.stored[0]!;
    const body = req.body.toString('utf8');
    const received = new RegExp(
      `^Received: from client\\.test \\(\\[127\\.0\\.0\\.1\\]\\)\\r\\n\\tby mx\\.petrel\\.test \\(Petrel\\) with ESMTP id ${id}\\r\\n\\tfor <X@Example\\.Test>; \\w{3}, \\d{1,2} \\w{3} \\d{4} \\d\\d:\\d\\d:\\d\\d \\+0000\\r\\n`,
    );
    assert.match(body, received);
    assert.equal(body.replace(received, ''), 'Subject: dots\r\n\r\n.leading\r\n..two\r\n');
    const e = req.envelope;
    assert.equal(e.id, id);
    assert.equal(e.sender, 'a@test.local');
    assert.deepEqual(e.recipients, [{ address: 'X@Example.Test', domain: 'example.test' }]);
    assert.equal(e.size, req.body.length);
    assert.equal(e.protocol, 'esmtp');
    assert.equal(e.bodyType, '8BITMIME');
    assert.equal(e.smtputf8, false);
    assert.equal(e.client?.address, '127.0.0.1');
    assert.equal(e.client?.helo, 'client.test');
  },
);

test('more than max_recipients RCPTs get 452 4.5.3', T, async (t) => {
  const h = await startListener({ listener: ['max_recipients = 2'] });
  t.after(() => h.close());
  const c = await RawClient.open(h.port);
  t.after(() => c.destroy());
  await c.cmd('EHLO client.test');
  await c.cmd('MAIL FROM:<a@test.local>');
  assert.match(await c.cmd('RCPT TO:<1@example.test>'), /^250 /);
  assert.match(await c.cmd('RCPT TO:<2@example.test>'), /^250 /);
  assert.equal(await c.cmd('RCPT TO:<3@example.test>'), '452 4.5.3 Error: too many recipients\r\n');
  assert.equal(h.rejected[0]?.recipient, '3@example.test');
});

test('a client outside relay_networks gets 554 5.7.1 Relaying denied and a rejection is published', T, async (t) => {
  const h = await startListener({ listener: ['relay_networks = ["127.0.0.1/32"]'] });
  t.after(() => h.close());
  const c = await RawClient.open(h.port, '127.0.0.9');
  t.after(() => c.destroy());
  await c.cmd('EHLO outsider.test');
  await c.cmd('MAIL FROM:<a@test.local>');
  assert.equal(await c.cmd('RCPT TO:<x@example.test>'), '554 5.7.1 <x@example.test>: Relaying denied\r\n');
  assert.match(await c.cmd('DATA'), /^503 5\.5\.1 /);
  const r = h.rejected[0];
  assert.ok(r);
  assert.equal(r.phase, 'awaiting rcptto');
  assert.deepEqual(r.client, { address: '127.0.0.9', port: r.client.port });
  assert.equal(r.helo, 'outsider.test');
  assert.equal(r.sender, 'a@test.local');
  assert.equal(r.recipient, 'x@example.test');
  assert.deepEqual({ code: r.reply.code, enhanced: r.reply.enhanced }, { code: 554, enhanced: '5.7.1' });
  // The same listener relays for a client inside the network.
  const ok = await RawClient.open(h.port, '127.0.0.1');
  t.after(() => ok.destroy());
  await ok.cmd('EHLO insider.test');
  await ok.cmd('MAIL FROM:<a@test.local>');
  assert.match(await ok.cmd('RCPT TO:<x@example.test>'), /^250 /);
});

test('command lines: bare LF or CR gets 500 5.5.2, over 512 octets 500 5.5.2 Line too long', T, async (t) => {
  const h = await startListener();
  t.after(() => h.close());
  const c = await RawClient.open(h.port);
  t.after(() => c.destroy());
  c.send('NOOP\n');
  assert.match(await c.reply(), /^500 5\.5\.2 Bare /);
  c.send('NO\rOP\r\n');
  assert.match(await c.reply(), /^500 5\.5\.2 Bare /);
  assert.equal(await c.cmd(`NOOP ${'x'.repeat(600)}`), '500 5.5.2 Line too long\r\n');
  assert.match(await c.cmd('NOOP'), /^250 /);
});

test('a client that keeps sending bad commands is dropped with 421 after 20 errors', T, async (t) => {
  const h = await startListener();
  t.after(() => h.close());
  const c = await RawClient.open(h.port);
  t.after(() => c.destroy());
  c.send('BAD\r\n'.repeat(25));
  const replies: string[] = [];
  for (let i = 0; i < 21; i++) replies.push(await c.reply());
  assert.equal(replies.filter((r) => r.startsWith('500 ')).length, 20);
  assert.equal(replies[20], `421 4.7.0 ${HOSTNAME} Error: too many errors\r\n`);
  await c.closed;
  assert.equal(c.unread, '', 'nothing after the 421');
});

test('closes the connection right after 221 to QUIT, without waiting for the client to close', T, async (t) => {
  const h = await startListener();
  t.after(() => h.close());
  const c = await RawClient.open(h.port, undefined, { allowHalfOpen: true });
  t.after(() => c.destroy());
  assert.match(await c.cmd('EHLO client.test'), /^250 /m);
  assert.equal(await c.cmd('QUIT'), '221 2.0.0 Bye\r\n');
  // The client keeps its side open (half-open): the session is gone all the same, well before the
  // linger a FIN-and-wait close would give it.
  const until = Date.now() + 2_000;
  while (h.listener.stats().connectionsOpen > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  assert.equal(h.listener.stats().connectionsOpen, 0);
});
