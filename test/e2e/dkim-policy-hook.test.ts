import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startAio, submitWithSmtplib, waitFor } from '@petrel/testkit';
import { scenario } from '../lib/scenario.js';
import { startScenarioPetrel } from '../lib/petrel.js';
import { deliveredMessage, dkimpyVerify, keygen } from '../lib/dkim.js';

// A data hook adds List-Unsubscribe (signed by default), then dkimSign picks keys by a header.
const MODULE = `export default {
  data(ctx) { ctx.headers.add('List-Unsubscribe', '<mailto:unsub@test.local>'); },
  dkimSign(ctx) {
    const want = ctx.headers.get('X-Sign');
    if (want === 'none') return [];
    if (want === 'esp') return ctx.available.filter((k) => k.domain === 'esp.test');
  },
};
`;

test('the dkimSign policy hook chooses or skips keys per message; headers added by the data hook are signed', async (t) => {
  const s = await scenario(t);
  const sink = s.stopAfter(await startAio(s.dir, '127.0.0.2', s.mxPort));
  const dir = join(s.dir, 'petrel');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'sign.mjs'), MODULE);
  const author = await keygen(join(s.dir, 'author.pem'), 'test.local', 'a1', 'ed25519');
  const esp = await keygen(join(s.dir, 'esp.pem'), 'esp.test', 'e1', 'rsa');
  const records = { [author.name]: author.record, [esp.name]: esp.record };
  const extra = [
    '[[policy]]',
    'module = "sign.mjs"',
    '[[dkim]]',
    'domain = "test.local"',
    'selector = "a1"',
    `key_file = "${author.keyFile}"`,
    '[[dkim]]',
    'domain = "esp.test"',
    'selector = "e1"',
    `key_file = "${esp.keyFile}"`,
    'match = "all"',
  ].join('\n');
  await startScenarioPetrel(s, { extra }, dir);
  for (const sign of ['default', 'esp', 'none'])
    await submitWithSmtplib(s.listenPort, {
      sender: 'a@test.local',
      recipients: [['b@example.test', []]],
      message: `From: a@test.local\r\nTo: b@example.test\r\nSubject: ${sign}\r\nX-Sign: ${sign}\r\n\r\nbody\r\n`,
    });
  const got = await waitFor('three messages at the sink', () =>
    sink.messages().length === 3 ? sink.messages().map(deliveredMessage) : undefined,
  );
  const bySubject = (sub: string): Buffer => got.find((m) => m.toString('latin1').includes(`Subject: ${sub}\r\n`))!;
  const selectors = (m: Buffer): string[] => [...m.toString('latin1').matchAll(/\ss=([^;]+);/g)].map((x) => x[1]!);
  const plain = bySubject('default');
  assert.deepEqual(selectors(plain), ['a1', 'e1'], 'no answer: the [[dkim]] tables decide');
  assert.match(plain.toString('latin1'), /h=[^;]*list-unsubscribe/, 'the data hook header is signed');
  assert.deepEqual(await dkimpyVerify(s.dir, plain, records), [true, true]);
  const espOnly = bySubject('esp');
  assert.deepEqual(selectors(espOnly), ['e1']);
  assert.deepEqual(await dkimpyVerify(s.dir, espOnly, records), [true]);
  assert.doesNotMatch(bySubject('none').toString('latin1'), /DKIM-Signature/);
});
