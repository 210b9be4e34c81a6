/**
 * CHUNKING/BDAT (RFC 3030), BINARYMIME, 8BITMIME downconversion (RFC 6152) and the pipelined RSET,
 * against a scripted peer that records every chunk as it arrived.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SmtpSession } from './session.js';
import { options } from './fixtures.js';
import type { SessionOptions, Transaction } from './types.js';
import { ScriptedPeer } from '@petrel/testkit';

const tx = (body: string | Buffer, over: Partial<Transaction> = {}): Transaction => ({
  sender: 'a@client.test',
  recipients: [{ address: 'b@x.test' }],
  body: Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'),
  ...over,
});

async function withPeer(
  caps: string[],
  opts: Partial<SessionOptions>,
  fn: (peer: ScriptedPeer, s: SmtpSession) => Promise<void>,
): Promise<void> {
  const peer = await ScriptedPeer.start({ caps });
  try {
    const s = await SmtpSession.open(options(peer.port, opts));
    try {
      await fn(peer, s);
    } finally {
      await s.quit();
    }
  } finally {
    await peer.stop();
  }
}

test('sends the body with BDAT LAST when CHUNKING is advertised: no DATA, no dot-stuffing', async () => {
  await withPeer(['PIPELINING', 'CHUNKING'], {}, async (peer, s) => {
    const body = 'Subject: t\r\n\r\n.leading dot stays single\r\n';
    const r = await s.send(tx(body));
    assert.equal(r.recipients[0]!.status, 'delivered');
    assert.equal(r.recipients[0]!.stage, 9);
    assert.ok(peer.lines.includes(`BDAT ${Buffer.byteLength(body)} LAST`));
    assert.equal(peer.lines.includes('DATA'), false);
    assert.deepEqual(peer.bodies, [body]);
  });
});

test('a body larger than one chunk goes in several BDAT commands, all written before the first chunk reply', async () => {
  await withPeer(['PIPELINING', 'CHUNKING', 'BINARYMIME'], {}, async (peer, s) => {
    const body = Buffer.alloc(600 * 1024, 0x00); // binary zeros: only BINARYMIME may carry them
    for (let i = 0; i < body.length; i += 100) body[i] = 0xff;
    const r = await s.send(tx(body, { bodyType: 'BINARYMIME' }));
    assert.equal(r.recipients[0]!.status, 'delivered');
    assert.deepEqual(
      peer.lines.filter((l) => l.startsWith('BDAT')),
      ['BDAT 262144', 'BDAT 262144', `BDAT ${600 * 1024 - 2 * 262144} LAST`],
    );
    assert.ok(peer.lines.some((l) => /^MAIL FROM:<a@client.test> BODY=BINARYMIME$/.test(l)));
    assert.equal(Buffer.from(peer.bodies[0]!, 'latin1').equals(body), true);
  });
});

test('use_chunking = false (chunking: false) keeps DATA although CHUNKING is advertised', async () => {
  await withPeer(['PIPELINING', 'CHUNKING'], { chunking: false }, async (peer, s) => {
    const r = await s.send(tx('x\r\n'));
    assert.equal(r.recipients[0]!.status, 'delivered');
    assert.ok(peer.lines.includes('DATA'));
    assert.equal(
      peer.lines.some((l) => l.startsWith('BDAT')),
      false,
    );
  });
});

test('BINARYMIME to a server without CHUNKING fails permanently with 554 5.6.3 before MAIL', async () => {
  await withPeer(['PIPELINING', 'BINARYMIME'], {}, async (peer, s) => {
    const r = await s.send(tx('x\r\n', { bodyType: 'BINARYMIME' }));
    assert.equal(r.recipients[0]!.status, 'permanent');
    assert.equal(r.recipients[0]!.reply.enhanced, '5.6.3');
    assert.equal(
      peer.lines.some((l) => l.startsWith('MAIL')),
      false,
    );
  });
});

test("a 5xx to BDAT LAST is every accepted recipient's permanent failure at stage 9", async () => {
  const peer = await ScriptedPeer.start({
    caps: ['PIPELINING', 'CHUNKING'],
    reply: (l) => (l === 'BDAT-LAST-DONE' ? '554 5.6.0 rejected' : undefined),
  });
  try {
    const s = await SmtpSession.open(options(peer.port));
    const r = await s.send(tx('x\r\n'));
    assert.deepEqual(
      [r.recipients[0]!.status, r.recipients[0]!.reply.code, r.recipients[0]!.stage],
      ['permanent', 554, 9],
    );
    await s.quit();
  } finally {
    await peer.stop();
  }
});

const eightBit =
  'Subject: t\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\ncafé\r\n';

test('transform_8bitmime_content ifneeded: an 8-bit body to a server without 8BITMIME goes as quoted-printable, without BODY=', async () => {
  await withPeer(['PIPELINING'], {}, async (peer, s) => {
    const events: string[] = [];
    s.on('extension-not-available', (e: string) => events.push(e));
    const r = await s.send(tx(eightBit, { bodyType: '8BITMIME' }));
    assert.equal(r.recipients[0]!.status, 'delivered');
    assert.deepEqual(events, ['8BITMIME']);
    assert.ok(peer.lines.includes('MAIL FROM:<a@client.test>'));
    assert.match(peer.bodies[0]!, /Content-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9\r\n$/);
  });
});

test('transform_8bitmime_content strict: 8-bit left in a header fails the message with 554 5.6.3, nothing sent', async () => {
  await withPeer(['PIPELINING'], { transform8bit: 'strict' }, async (peer, s) => {
    const r = await s.send(tx('Subject: café\r\n\r\ncafé\r\n', { bodyType: '8BITMIME' }));
    assert.equal(r.recipients[0]!.status, 'permanent');
    assert.equal(r.recipients[0]!.reply.enhanced, '5.6.3');
    assert.equal(
      peer.lines.some((l) => l.startsWith('MAIL')),
      false,
    );
  });
});

test('transform_8bitmime_content no: the 8-bit body is sent unchanged', async () => {
  await withPeer(['PIPELINING'], { transform8bit: 'no' }, async (peer, s) => {
    const r = await s.send(tx(eightBit, { bodyType: '8BITMIME' }));
    assert.equal(r.recipients[0]!.status, 'delivered');
    assert.equal(Buffer.from(peer.bodies[0]!, 'latin1').toString('utf8'), eightBit);
  });
});

test('with 8BITMIME advertised the body is untouched and MAIL says BODY=8BITMIME', async () => {
  await withPeer(['PIPELINING', '8BITMIME'], {}, async (peer, s) => {
    await s.send(tx(eightBit, { bodyType: '8BITMIME' }));
    assert.ok(peer.lines.includes('MAIL FROM:<a@client.test> BODY=8BITMIME'));
    assert.equal(Buffer.from(peer.bodies[0]!, 'latin1').toString('utf8'), eightBit);
  });
});

test("reset() on a pipelining server sends RSET in the next transaction's write, and the dot rides with the body", async () => {
  await withPeer(['PIPELINING'], {}, async (peer, s) => {
    await s.send(tx('one\r\n'));
    assert.equal(await s.reset(), true);
    const r = await s.send(tx('two\r\n'));
    assert.equal(r.recipients[0]!.status, 'delivered');
    assert.ok(
      peer.chunks.includes('RSET\r\nMAIL FROM:<a@client.test>\r\nRCPT TO:<b@x.test>\r\nDATA\r\n'),
      JSON.stringify(peer.chunks),
    );
    assert.ok(peer.chunks.includes('two\r\n.\r\n'), JSON.stringify(peer.chunks));
  });
});

test('a refused pipelined RSET ends the session and leaves the recipients transient at stage 13', async () => {
  const peer = await ScriptedPeer.start({
    caps: ['PIPELINING'],
    reply: (l) => (l === 'RSET' ? '500 5.5.1 no RSET today' : undefined),
  });
  try {
    const s = await SmtpSession.open(options(peer.port));
    await s.send(tx('one\r\n'));
    await s.reset();
    const r = await s.send(tx('two\r\n'));
    assert.deepEqual([r.recipients[0]!.status, r.recipients[0]!.stage, r.sessionUsable], ['transient', 13, false]);
    s.destroy();
  } finally {
    await peer.stop();
  }
});
