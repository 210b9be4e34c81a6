import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SmtpReply } from '@petrel/core';
import { RawClient, startListener } from './harness.js';
import type { MessageSigner, SignRequest } from './signing-hook.js';

async function send(port: number, data: string): Promise<string> {
  const c = await RawClient.open(port);
  await c.cmd('EHLO c.test');
  await c.cmd('MAIL FROM:<a@x.test>');
  await c.cmd('RCPT TO:<b@y.test>');
  await c.cmd('DATA');
  const reply = await c.cmd(`${data}\r\n.`);
  c.end();
  return reply;
}

test('a signer sees the message as stored after the data hook, and its fields are stored on top of it', async (t) => {
  const seen: SignRequest[] = [];
  const signer: MessageSigner = (r) => {
    seen.push(r);
    return { prepend: 'DKIM-Signature: v=1; test\r\n' };
  };
  const h = await startListener({
    signer: () => signer,
    policy: () => ({
      data: async (_s, m) => ({ parts: [Buffer.from('X-Policy: yes\r\n'), ...m.parts] }),
    }),
  });
  t.after(() => h.close());
  assert.match(await send(h.port, 'From: a@x.test\r\nSubject: s\r\n\r\nbody'), /^250 2\.0\.0 Ok: queued/);
  const stored = h.stored[0]!;
  assert.equal(seen.length, 1);
  assert.match(
    seen[0]!.body.toString(),
    /^Received: .*X-Policy: yes\r\nFrom: a@x\.test/s,
    'signed after the data hook',
  );
  assert.equal(stored.body.toString(), `DKIM-Signature: v=1; test\r\n${seen[0]!.body.toString()}`);
  assert.equal(stored.envelope.size, stored.body.length);
});

test("a signer's refusal is the reply at the end of DATA and nothing is stored; a throwing signer answers 451 4.3.0", async (t) => {
  let mode: 'refuse' | 'throw' | 'none' = 'refuse';
  const signer: MessageSigner = async () => {
    if (mode === 'throw') throw new Error('boom');
    if (mode === 'refuse') return { reply: new SmtpReply(451, 'Error: message cannot be signed', '4.7.5') };
    return undefined;
  };
  const h = await startListener({ signer: () => signer });
  t.after(() => h.close());
  assert.equal(await send(h.port, 'Subject: s\r\n\r\nbody'), '451 4.7.5 Error: message cannot be signed\r\n');
  mode = 'throw';
  assert.match(await send(h.port, 'Subject: s\r\n\r\nbody'), /^451 4\.3\.0 /);
  assert.equal(h.stored.length, 0);
  assert.deepEqual(
    h.rejected.map((r) => r.reply.code),
    [451, 451],
  );
  mode = 'none';
  assert.match(await send(h.port, 'Subject: s\r\n\r\nbody'), /^250 /);
  assert.match(h.stored[0]!.body.toString(), /^Received: /, 'undefined: stored unchanged');
});

test('the signer source is asked once per message, so a new signer applies to the next message', async (t) => {
  let n = 0;
  const h = await startListener({
    signer: () => {
      const k = ++n;
      return () => ({ prepend: `X-Signer: ${k}\r\n` });
    },
  });
  t.after(() => h.close());
  await send(h.port, 'Subject: 1\r\n\r\nbody');
  await send(h.port, 'Subject: 2\r\n\r\nbody');
  assert.deepEqual(
    h.stored.map((s) => s.body.toString().split('\r\n')[0]),
    ['X-Signer: 1', 'X-Signer: 2'],
  );
});
