import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PetrelError, type StoreRequest } from '@petrel/core';
import type { Server } from 'node:net';
import { RawClient, deferred, startListener } from './harness.js';

const T = { timeout: 20_000 };

async function openTransaction(port: number): Promise<RawClient> {
  const c = await RawClient.open(port);
  await c.cmd('EHLO client.test');
  await c.cmd('MAIL FROM:<a@test.local>');
  await c.cmd('RCPT TO:<x@example.test>');
  assert.match(await c.cmd('DATA'), /^354 /);
  return c;
}

const INJECTED =
  'MAIL FROM:<evil@attacker.test>\r\nRCPT TO:<victim@example.test>\r\nDATA\r\nFrom: ceo@example.test\r\n\r\nsmuggled\r\n';

for (const [name, fake] of [
  ['\\n.\\n', '\n.\n'],
  ['\\r.\\r', '\r.\r'],
  ['\\n.\\r\\n', '\n.\r\n'],
  ['\\r\\n.\\r', '\r\n.\r'],
] as const) {
  test(`SMTP smuggling with "${name}": no message stored, no injected envelope, 554 5.5.2`, T, async (t) => {
    const h = await startListener();
    t.after(() => h.close());
    const c = await openTransaction(h.port);
    t.after(() => c.destroy());
    c.send(`Subject: hi\r\n\r\nfirst${fake}${INJECTED}.\r\n`);
    assert.equal(await c.reply(), '554 5.5.2 Bare <LF> or <CR> not allowed (see RFC 5321 section 2.3.8)\r\n');
    // Nothing the fake end-of-data exposed ran as a command: the next reply is our NOOP's.
    assert.match(await c.cmd('NOOP'), /^250 2\.0\.0 Ok\r\n$/);
    assert.equal(c.unread, '');
    assert.equal(h.stored.length, 0);
    assert.equal(h.rejected.length, 1);
    assert.equal(h.rejected[0]?.phase, 'reading body');
    assert.equal(h.rejected[0]?.sender, 'a@test.local');
  });
}

test('all smuggling variants in one DATA followed by a real end: zero messages stored', T, async (t) => {
  const h = await startListener();
  t.after(() => h.close());
  const c = await openTransaction(h.port);
  t.after(() => c.destroy());
  c.send(`x\n.\n${INJECTED}\r.\r${INJECTED}\n.\r\n${INJECTED}\r\n.\r${INJECTED}\r\n.\r\nQUIT\r\n`);
  assert.match(await c.reply(), /^554 5\.5\.2 /);
  assert.match(await c.reply(), /^221 /);
  await c.closed;
  assert.equal(h.stored.length, 0);
});

test('a message streamed past max_message_size gets 552 5.3.4 at the end and is not stored', T, async (t) => {
  const h = await startListener({ listener: ['max_message_size = 1000'] });
  t.after(() => h.close());
  const c = await openTransaction(h.port);
  t.after(() => c.destroy());
  for (let i = 0; i < 50; i++) c.send(`${'y'.repeat(98)}\r\n`);
  c.send('.\r\n');
  assert.equal(await c.reply(), '552 5.3.4 Message size exceeds fixed limit\r\n');
  assert.equal(h.stored.length, 0);
  assert.equal(h.rejected[0]?.reply.code, 552);
  // The session goes on: a small message right after is accepted.
  await c.cmd('MAIL FROM:<a@test.local>');
  await c.cmd('RCPT TO:<x@example.test>');
  await c.cmd('DATA');
  assert.match(await c.cmd('small\r\n.'), /^250 2\.0\.0 Ok: queued as /);
  assert.equal(h.stored.length, 1);
});

test('spool.store failing answers 452 4.3.1 and the session still works after RSET', T, async (t) => {
  let full = true;
  const h = await startListener({
    store: (req, stored) => {
      if (full) throw new PetrelError('PETREL_ERR_SPOOL_FULL', 'disk full');
      stored.push(req);
      return { id: req.envelope.id };
    },
  });
  t.after(() => h.close());
  const c = await openTransaction(h.port);
  t.after(() => c.destroy());
  assert.equal(await c.cmd('hello\r\n.'), '452 4.3.1 Insufficient system storage\r\n');
  assert.equal(h.rejected[0]?.reply.code, 452);
  assert.match(await c.cmd('RSET'), /^250 /);
  full = false;
  await c.cmd('MAIL FROM:<a@test.local>');
  await c.cmd('RCPT TO:<x@example.test>');
  await c.cmd('DATA');
  assert.match(await c.cmd('hello again\r\n.'), /^250 2\.0\.0 Ok: queued as /);
  assert.equal(h.stored.length, 1);
});

test('250 is not sent before the spool.store promise resolves', T, async (t) => {
  let release: (() => void) | undefined;
  const called = deferred<StoreRequest>();
  const order: string[] = [];
  const h = await startListener({
    store: (req, stored) => {
      called.resolve(req);
      return new Promise((resolve) => {
        release = () => {
          order.push('resolved');
          stored.push(req);
          resolve({ id: req.envelope.id });
        };
      });
    },
  });
  t.after(() => h.close());
  const c = await openTransaction(h.port);
  t.after(() => c.destroy());
  const readsBefore = c.reads;
  c.send('body\r\n.\r\n');
  await called.promise;
  // Prove the server has turned its event loop over since the store began: a full exchange
  // on a second connection. Had it written a 250 on the first, that write happened already.
  const other = await RawClient.open(h.port);
  assert.match(await other.cmd('EHLO other.test'), /^250-/);
  other.destroy();
  assert.equal(c.reads, readsBefore, 'no reply while the store is pending');
  release!();
  const reply = await c.reply();
  order.push('reply');
  assert.match(reply, /^250 2\.0\.0 Ok: queued as /);
  assert.deepEqual(order, ['resolved', 'reply']);
});

// Exim (4.9x) pipelines QUIT after the last BDAT chunk or the end of DATA and then shuts its side
// down (a TCP half-close): it still reads the replies. Ending the session at the client's FIN
// loses them: the client sees "connection closed in response to end of data", keeps the message
// queued and sends it again although it was stored: a duplicate per message.
for (const mode of ['BDAT', 'DATA'] as const) {
  test(`a client that half-closes after ${mode} + QUIT gets 250 after the store, then 221`, T, async (t) => {
    // The store finishes only once the server has read the client's FIN: the order Exim produces
    // with a large message (its FIN arrives while the spool is still writing).
    let serverSawFin: Promise<void> | undefined;
    const h = await startListener({
      store: async (req, stored) => {
        await serverSawFin;
        stored.push(req);
        return { id: req.envelope.id };
      },
    });
    t.after(() => h.close());
    const server = (h.listener as unknown as { servers: Server[] }).servers[0]!;
    serverSawFin = new Promise((resolve) => server.once('connection', (s) => s.once('end', () => resolve())));
    const c = await RawClient.open(h.port, undefined, { allowHalfOpen: true });
    t.after(() => c.destroy());
    await c.cmd('EHLO client.test');
    await c.cmd('MAIL FROM:<a@test.local>');
    await c.cmd('RCPT TO:<x@example.test>');
    const body = 'Subject: hi\r\n\r\nbody\r\n';
    if (mode === 'BDAT') c.send(`BDAT ${body.length} LAST\r\n${body}QUIT\r\n`);
    else {
      assert.match(await c.cmd('DATA'), /^354 /);
      c.send(`${body}.\r\nQUIT\r\n`);
    }
    c.end(); // the half-close
    assert.match(await c.reply(), /^250 2\.0\.0 Ok: queued as /);
    assert.equal(await c.reply(), '221 2.0.0 Bye\r\n');
    await c.closed;
    assert.equal(h.stored.length, 1);
  });
}

test(
  'a client that half-closes without QUIT gets its replies, then the session ends; a body cut off is not stored',
  T,
  async (t) => {
    const h = await startListener();
    t.after(() => h.close());
    const c = await RawClient.open(h.port, undefined, { allowHalfOpen: true });
    t.after(() => c.destroy());
    c.send(
      'EHLO client.test\r\nMAIL FROM:<a@test.local>\r\nRCPT TO:<x@example.test>\r\nDATA\r\nSubject: cut\r\n\r\nno end',
    );
    c.end();
    assert.match(await c.reply(), /^250-/);
    assert.match(await c.reply(), /^250 2\.1\.0 /);
    assert.match(await c.reply(), /^250 2\.1\.5 /);
    assert.match(await c.reply(), /^354 /);
    await c.closed;
    assert.equal(c.unread, '', 'no reply to a body that never ended');
    assert.equal(h.stored.length, 0);
    const until = Date.now() + 2_000;
    while (h.listener.stats().connectionsOpen > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    assert.equal(h.listener.stats().connectionsOpen, 0, 'the session is gone, not left half-open');
  },
);
