import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startAio, submitWithSmtplib, waitFor } from '@petrel/testkit';
import { scenario } from '../lib/scenario.js';
import { startScenarioPetrel } from '../lib/petrel.js';
import { deliveredMessage, dkimpyVerify, keygen, mailauthVerify, type KeyRecords } from '../lib/dkim.js';

/** Four author-domain signatures (RSA and Ed25519, relaxed and simple) and an ESP signature on everything. */
const KEYS = [
  { domain: 'test.local', selector: 'rsa-relaxed', key: 'rsa', c: 'relaxed/relaxed' },
  { domain: 'test.local', selector: 'ed-relaxed', key: 'ed', c: 'relaxed/relaxed' },
  { domain: 'test.local', selector: 'rsa-simple', key: 'rsa', c: 'simple/simple' },
  { domain: 'test.local', selector: 'ed-simple', key: 'ed', c: 'simple/simple' },
  { domain: 'esp.test', selector: 'esp', key: 'rsa', c: 'relaxed/simple', match: 'all' },
] as const;

function message(subject: string, body: string): string {
  return [
    'From: Jörg Sender <joerg@news.test.local>',
    'To: Bob <bob@example.test>',
    // A folded header: relaxed unfolds it, simple signs the folding as is.
    `Subject: ${subject}\r\n  continued on a second line\r\n\tand a third`,
    'Date: Sun, 06 Dec 2026 08:00:00 +0000',
    `Message-ID: <${subject.replace(/\W/g, '')}@test.local>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    body,
  ].join('\r\n');
}

test('relayed mail is DKIM-signed at reception and verifies with python3-dkim and mailauth; added From/Subject break it', async (t) => {
  const s = await scenario(t);
  const sink = s.stopAfter(await startAio(s.dir, '127.0.0.2', s.mxPort));
  const keysDir = join(s.dir, 'keys');
  mkdirSync(keysDir);
  const rsa = await keygen(join(keysDir, 'rsa.pem'), 'test.local', 'rsa-relaxed', 'rsa');
  const ed = await keygen(join(keysDir, 'ed.pem'), 'test.local', 'ed-relaxed', 'ed25519');
  assert.equal(statSync(rsa.keyFile).mode & 0o777, 0o600, 'keygen writes the key with mode 0600');
  assert.match(rsa.record, /^v=DKIM1; k=rsa; p=[A-Za-z0-9+/]{300,}={0,2}$/);
  assert.match(ed.record, /^v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=$/);
  const records: KeyRecords = Object.fromEntries(
    KEYS.map((k) => [`${k.selector}._domainkey.${k.domain}`, k.key === 'rsa' ? rsa.record : ed.record]),
  );
  const dkim = KEYS.map((k) =>
    [
      '[[dkim]]',
      `domain = "${k.domain}"`,
      `selector = "${k.selector}"`,
      `key_file = "${join(keysDir, `${k.key}.pem`)}"`,
      `canonicalization = "${k.c}"`,
      'match' in k ? `match = "${k.match}"` : '',
    ].join('\n'),
  ).join('\n');
  await startScenarioPetrel(s, { extra: dkim });

  // 8-bit text, WSP runs and trailing WSP (relaxed rewrites them), trailing empty lines, ~200 KB.
  const long = Array.from({ length: 3000 }, (_, i) => `Zeile ${i}: Grüße  aus Köln,\t€ ${'x'.repeat(i % 40)}  `).join(
    '\r\n',
  );
  const sent = [message('eight bit and long', `${long}\r\n\r\n\r\n`), message('short ascii', 'Hello Bob.\r\n')];
  for (const m of sent)
    await submitWithSmtplib(s.listenPort, {
      sender: 'bounces@bounce.test.local',
      mailOptions: ['BODY=8BITMIME'],
      recipients: [['bob@example.test', []]],
      message: m,
    });
  const dumps = await waitFor('both messages at the sink', () =>
    sink.messages().length === 2 ? sink.messages() : undefined,
  );
  const all = KEYS.map(() => true);
  for (const dump of dumps) {
    const delivered = deliveredMessage(dump);
    const head = delivered.toString('latin1', 0, delivered.indexOf('\r\n\r\n'));
    assert.equal(head.match(/^DKIM-Signature:/gm)?.length, KEYS.length, head);
    assert.match(head, /^DKIM-Signature:[\s\S]*\r\nReceived: from/, 'signatures above the trace header');
    assert.ok(delivered.includes(Buffer.from('Grüße', 'utf8')) || delivered.includes(Buffer.from('Hello Bob')));
    assert.deepEqual(await dkimpyVerify(s.dir, delivered, records), all, 'python3-dkim');
    assert.deepEqual(
      await mailauthVerify(delivered, records),
      KEYS.map(() => 'pass'),
      'mailauth',
    );

    // Over-signing: a second From: or Subject: anywhere breaks every signature; an unsigned field does not.
    const bodyAt = delivered.indexOf('\r\n\r\n') + 2;
    const add = (field: string, top: boolean): Buffer =>
      top
        ? Buffer.concat([Buffer.from(`${field}\r\n`), delivered])
        : Buffer.concat([delivered.subarray(0, bodyAt), Buffer.from(`${field}\r\n`), delivered.subarray(bodyAt)]);
    for (const [field, top] of [
      ['From: CEO <ceo@test.local>', true],
      ['Subject: wire the money', false],
    ] as const) {
      const forged = add(field, top);
      assert.deepEqual(
        await dkimpyVerify(s.dir, forged, records),
        all.map(() => false),
        `python3-dkim, ${field}`,
      );
      assert.deepEqual(
        (await mailauthVerify(forged, records)).filter((r) => r === 'pass'),
        [],
        `mailauth, ${field}`,
      );
    }
    const harmless = add('X-Scanned: yes', true);
    assert.deepEqual(await dkimpyVerify(s.dir, harmless, records), all, 'an unsigned field added');
    // And the body is covered: one changed octet fails the body hash.
    const edited = Buffer.from(delivered);
    edited[edited.length - 4] = 0x21;
    assert.deepEqual(
      await dkimpyVerify(s.dir, edited, records),
      all.map(() => false),
      'body edited',
    );
  }
});
