import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { SmtpReply } from '@petrel/core';
import { deferred, RawClient, startListener } from './harness.js';
import type { InboundPolicy } from './policy-hooks.js';

const refuse = (text: string): SmtpReply => new SmtpReply(550, text, '5.7.1');

test('policy hooks answer at their phase; refusals are published as rejections with the exact reply', async (t) => {
  const policy: InboundPolicy = {
    mailFrom: (_s, sender) => (sender === 'bad@x.test' ? refuse('sender refused') : undefined),
    rcptTo: async (_s, r) => (r.recipient === 'no@y.test' ? refuse('recipient refused') : undefined),
  };
  const h = await startListener({ policy: () => policy });
  t.after(() => h.close());
  const c = await RawClient.open(h.port);
  await c.cmd('EHLO c.test');
  assert.equal(await c.cmd('MAIL FROM:<bad@x.test>'), '550 5.7.1 sender refused\r\n');
  assert.equal(await c.cmd('MAIL FROM:<ok@x.test>'), '250 2.1.0 Ok\r\n');
  assert.equal(await c.cmd('RCPT TO:<no@y.test>'), '550 5.7.1 recipient refused\r\n');
  assert.equal(await c.cmd('RCPT TO:<yes@y.test>'), '250 2.1.5 Ok\r\n');
  assert.deepEqual(
    h.rejected.map((r) => [r.phase, r.reply.lines[0], r.recipient]),
    [
      ['awaiting mailfrom', 'sender refused', undefined],
      ['awaiting rcptto', 'recipient refused', 'no@y.test'],
    ],
  );
  c.end();
});

test('pipelined commands with an async rcptTo hook keep their order, one reply each', async (t) => {
  const policy: InboundPolicy = {
    rcptTo: async (_s, r) => (r.recipient.startsWith('no') ? refuse(`no ${r.recipient}`) : undefined),
  };
  const h = await startListener({ policy: () => policy });
  t.after(() => h.close());
  const c = await RawClient.open(h.port);
  await c.cmd('EHLO c.test');
  c.send('MAIL FROM:<a@x.test>\r\nRCPT TO:<no1@y.test>\r\nRCPT TO:<ok@y.test>\r\nRCPT TO:<no2@y.test>\r\nDATA\r\n');
  const replies = [await c.reply(), await c.reply(), await c.reply(), await c.reply(), await c.reply()];
  assert.deepEqual(
    replies.map((r) => r.slice(0, 3)),
    ['250', '550', '250', '550', '354'],
  );
  assert.match(replies[1]!, /no no1@y\.test/);
  c.send('Subject: x\r\n\r\nbody\r\n.\r\n');
  assert.match(await c.reply(), /^250 2\.0\.0 Ok: queued/);
  assert.deepEqual(
    h.stored[0]!.envelope.recipients.map((r) => r.address),
    ['ok@y.test'],
  );
  c.end();
});

test('hooks that answer synchronously cost no extra write: a pipelined batch is answered in one read', async (t) => {
  const policy: InboundPolicy = { mailFrom: () => undefined, rcptTo: () => undefined };
  const h = await startListener({ policy: () => policy });
  t.after(() => h.close());
  const c = await RawClient.open(h.port);
  await c.cmd('EHLO c.test');
  const before = c.reads;
  c.send('MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nRCPT TO:<c@y.test>\r\nDATA\r\n');
  const text = await c.read(before);
  assert.equal(text, '250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n');
  c.end();
});

test('the data hook can refuse, or replace the message before the store; connect can refuse instead of the banner', async (t) => {
  const policy: InboundPolicy = {
    connect: async (s) => (s.client.address === '127.0.0.7' ? new SmtpReply(554, 'go away') : undefined),
    data: async (_s, m) => {
      const text = Buffer.concat(m.parts).toString();
      if (text.includes('REFUSE')) return { reply: new SmtpReply(554, 'content refused', '5.7.1') };
      return { parts: [Buffer.from('X-Added: 1\r\n'), ...m.parts] };
    },
  };
  const h = await startListener({ policy: () => policy });
  t.after(() => h.close());
  const refused = await RawClient.connect(h.port, '127.0.0.7');
  assert.equal(await refused.reply(), '554 go away\r\n');
  await refused.closed;
  const c = await RawClient.open(h.port);
  await c.cmd('EHLO c.test');
  await c.cmd('MAIL FROM:<a@x.test>');
  await c.cmd('RCPT TO:<b@y.test>');
  await c.cmd('DATA');
  assert.equal(await c.cmd('Subject: REFUSE\r\n\r\nx\r\n.'), '554 5.7.1 content refused\r\n');
  await c.cmd('MAIL FROM:<a@x.test>');
  await c.cmd('RCPT TO:<b@y.test>');
  await c.cmd('DATA');
  assert.match(await c.cmd('Subject: fine\r\n\r\nx\r\n.'), /^250 /);
  assert.match(h.stored[0]!.body.toString(), /X-Added: 1\r\nSubject: fine\r\n/);
  c.end();
});

test('each session takes one snapshot at connect; a client gone while a hook runs costs nothing', async (t) => {
  let asked = 0;
  const hold = deferred<undefined>();
  const policy: InboundPolicy = { rcptTo: () => hold.promise };
  const h = await startListener({
    policy: () => {
      asked++;
      return policy;
    },
  });
  t.after(() => h.close());
  const c = await RawClient.open(h.port);
  await c.cmd('EHLO c.test');
  await c.cmd('MAIL FROM:<a@x.test>');
  c.send('RCPT TO:<b@y.test>\r\n');
  c.destroy();
  await c.closed;
  hold.resolve(undefined);
  // The session must not throw on its closed socket; the listener still serves.
  const d = await RawClient.open(h.port);
  assert.match(await d.cmd('EHLO d.test'), /^250-/);
  assert.equal(asked, 2);
  d.end();
});

test('while a hook runs, a client flooding the session is not read without bound: it stops taking input', async (t) => {
  const hold = deferred<undefined>();
  const policy: InboundPolicy = { rcptTo: () => hold.promise };
  const h = await startListener({ policy: () => policy });
  t.after(() => h.close());
  const s = connect(h.port, '127.0.0.1');
  s.on('error', () => undefined);
  t.after(() => s.destroy());
  await once(s, 'connect');
  // Pipelined up to the RCPT whose hook does not answer, then as much as the server takes, for 1.5 s.
  s.write('EHLO c.test\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\n');
  const chunk = Buffer.alloc(64 * 1024, 'NOOP\r\n');
  let handed = 0;
  const taken = () => handed - s.writableLength;
  const takenBy = async (at: number): Promise<number> => {
    while (Date.now() < at) {
      handed += chunk.length;
      if (s.write(chunk)) continue;
      await Promise.race([once(s, 'drain'), new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())))]);
    }
    return taken();
  };
  const start = Date.now();
  const half = await takenBy(start + 750);
  const end = await takenBy(start + 1500);
  // Once the kernel's socket buffers are full nothing more goes in: the session stopped reading.
  assert.ok(end - half < 512 * 1024, `${half} octets taken by 0.75 s, ${end} by 1.5 s: the session kept reading`);
  hold.resolve(undefined);
});
