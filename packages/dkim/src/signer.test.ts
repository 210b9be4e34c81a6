import assert from 'node:assert/strict';
import { createHash, createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { canonBody, parseCanonicalization, splitMessage } from './canonicalize.js';
import { dnsRecord } from './keys.js';
import { signMessage, signMessageAsync, type SigningKey } from './signer.js';
import { mailauthVerify, verifyWithRecord } from './verify-fixture.js';

const crlf = (s: string): Buffer => Buffer.from(s.replace(/\r?\n/g, '\r\n'), 'latin1');

// RFC 8463 Appendix A (as shipped in python3-dkim's test data, rfc6376.signed.msg): the message,
// the RFC 8032 §7.1 test key and its published Ed25519 signature.
const RFC_MESSAGE = `From: Joe SixPack <joe@football.example.com>
To: Suzie Q <suzie@shopping.example.net>
Subject: Is dinner ready?
Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)
Message-ID: <20030712040037.46341.5F8J@football.example.com>

Hi.

We lost the game.  Are you hungry yet?

Joe.

`;
const RFC_ED_SIGNATURE = `DKIM-Signature: v=1; a=ed25519-sha256; c=simple/simple; 
 d=football.example.com; i=@football.example.com; 
 q=dns/txt; s=brisbane; t=1518460054; h=from : to : 
 subject : date : message-id : from : subject : date; 
 bh=4bLNXImK9drULnmePzZNEBleUanJCX5PIsDIFoH4KTQ=; 
 b=9/dsDChY0YMTtD5Eyw3wx7x22BlSJP7M5ECbJ7GWrR45nXlTCGb8l0YB
 o0wBLR++X5LqmsxXaOYLLJe46l10AQ==
`;
const RFC_ED_RECORD = 'v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=';
/** RFC 8032 §7.1 TEST 1 secret key, wrapped as PKCS#8. */
const RFC_ED_KEY = createPrivateKey({
  key: Buffer.concat([
    Buffer.from('302e020100300506032b657004220420', 'hex'),
    Buffer.from('nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=', 'base64'),
  ]),
  format: 'der',
  type: 'pkcs8',
});

function key(over: Partial<SigningKey> & Pick<SigningKey, 'privateKey' | 'algorithm'>): SigningKey {
  return {
    domain: 'football.example.com',
    selector: 'brisbane',
    headers: ['From', 'To', 'Subject', 'Date', 'Message-ID'],
    oversignHeaders: ['From', 'Subject', 'Date'],
    canonicalization: parseCanonicalization('relaxed/relaxed')!,
    ...over,
  };
}

test('the RFC 8463 body hashes: simple and relaxed', () => {
  const body = RFC_MESSAGE.replace(/\n/g, '\r\n');
  const start = splitMessage(Buffer.from(body)).bodyStart;
  const hash = (c: 'simple' | 'relaxed'): string =>
    createHash('sha256')
      .update(canonBody(body.slice(start), c), 'latin1')
      .digest('base64');
  assert.equal(hash('simple'), '4bLNXImK9drULnmePzZNEBleUanJCX5PIsDIFoH4KTQ=');
  assert.equal(hash('relaxed'), '2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=');
});

test("the RFC 8463 Ed25519 signature verifies under this package's canonicalisation", () => {
  const signed = crlf(RFC_ED_SIGNATURE + RFC_MESSAGE);
  assert.deepEqual(verifyWithRecord(signed, RFC_ED_RECORD), { bodyOk: true, sigOk: true });
  const tampered = crlf(RFC_ED_SIGNATURE + RFC_MESSAGE.replace('dinner', 'lunch'));
  assert.equal(verifyWithRecord(tampered, RFC_ED_RECORD).sigOk, false);
});

test('the RFC 8032 key publishes the RFC 8463 record', () => {
  assert.equal(dnsRecord(RFC_ED_KEY), RFC_ED_RECORD);
});

test('signatures by the RFC key verify with mailauth under every canonicalisation, RSA and Ed25519', async () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const records = new Map([
    ['brisbane._domainkey.football.example.com', RFC_ED_RECORD],
    ['test._domainkey.football.example.com', dnsRecord(rsa)],
  ]);
  const message = crlf(RFC_MESSAGE);
  for (const c of ['relaxed/relaxed', 'relaxed/simple', 'simple/relaxed', 'simple/simple']) {
    const keys = [
      key({ privateKey: RFC_ED_KEY, algorithm: 'ed25519-sha256', canonicalization: parseCanonicalization(c)! }),
      key({
        privateKey: rsa,
        algorithm: 'rsa-sha256',
        selector: 'test',
        canonicalization: parseCanonicalization(c)!,
      }),
    ];
    const sig = signMessage(message, keys, 1_700_000_000_000);
    const signed = Buffer.concat([Buffer.from(sig, 'latin1'), message]);
    assert.deepEqual(await mailauthVerify(signed, records), ['pass', 'pass'], c);
    assert.deepEqual(verifyWithRecord(signed, RFC_ED_RECORD, 0), { bodyOk: true, sigOk: true }, c);
  }
});

test('over-signed From and Subject: a field added after signing fails verification, one not over-signed does not', async () => {
  const records = new Map([['brisbane._domainkey.football.example.com', RFC_ED_RECORD]]);
  const message = crlf(RFC_MESSAGE);
  const sig = Buffer.from(signMessage(message, [key({ privateKey: RFC_ED_KEY, algorithm: 'ed25519-sha256' })]));
  assert.deepEqual(await mailauthVerify(Buffer.concat([sig, message]), records), ['pass']);
  for (const added of ['From: Evil <ceo@football.example.com>\r\n', 'Subject: URGENT wire money\r\n']) {
    const atTop = Buffer.concat([Buffer.from(added), sig, message]);
    assert.deepEqual(await mailauthVerify(atTop, records), ['fail'], `${added.trim()} at the top`);
    const [head, body] = [
      message.subarray(0, message.indexOf('\r\n\r\n') + 2),
      message.subarray(message.indexOf('\r\n\r\n') + 2),
    ];
    const atEnd = Buffer.concat([sig, head, Buffer.from(added), body]);
    assert.deepEqual(await mailauthVerify(atEnd, records), ['fail'], `${added.trim()} at the end`);
  }
  const unsigned = Buffer.concat([Buffer.from('X-Mailer: later\r\n'), sig, message]);
  assert.deepEqual(await mailauthVerify(unsigned, records), ['pass']);
});

test('the h= list names each present field, over-signed names once more, and the fields fold under 78 columns', () => {
  const sig = signMessage(
    crlf(RFC_MESSAGE),
    [key({ privateKey: RFC_ED_KEY, algorithm: 'ed25519-sha256', expiration: 86_400_000 })],
    1_700_000_000_000,
  );
  const h = /h=([^;]*);/.exec(sig)![1]!.replace(/\s+/g, '');
  assert.equal(h, 'from:from:to:subject:subject:date:date:message-id');
  assert.match(sig, /t=1700000000; x=1700086400;/);
  for (const line of sig.split('\r\n').filter((l) => !l.startsWith('\tb=') && l !== ''))
    assert.ok(line.length <= 78, line);
});

test('a message without From: cannot be signed (PETREL_ERR_DKIM_SIGN)', () => {
  assert.throws(
    () => signMessage(crlf('To: a@b.example\n\nhi\n'), [key({ privateKey: RFC_ED_KEY, algorithm: 'ed25519-sha256' })]),
    (e: unknown) => (e as { code?: string }).code === 'PETREL_ERR_DKIM_SIGN' && /no From:/.test((e as Error).message),
  );
});

test('signMessageAsync gives the same signatures as signMessage', async () => {
  const keys = [key({ privateKey: RFC_ED_KEY, algorithm: 'ed25519-sha256' })];
  const m = crlf(RFC_MESSAGE);
  assert.equal(await signMessageAsync(m, keys, 1_700_000_000_000), signMessage(m, keys, 1_700_000_000_000));
});

test('8-bit, long and folded messages verify with mailauth', async () => {
  const records = new Map([['brisbane._domainkey.football.example.com', RFC_ED_RECORD]]);
  const long = Array.from({ length: 5000 }, (_, i) => `line ${i}  with  spaces \t and umlauts äöü`).join('\n');
  const m = crlf(
    `From: Jöe <joe@football.example.com>\nSubject: a folded\n  subject line\n\t  with tabs\nTo: x@y.example\n\n${long}\n\n\n`,
  );
  for (const c of ['relaxed/relaxed', 'simple/simple']) {
    const sig = signMessage(m, [
      key({ privateKey: RFC_ED_KEY, algorithm: 'ed25519-sha256', canonicalization: parseCanonicalization(c)! }),
    ]);
    assert.deepEqual(await mailauthVerify(Buffer.concat([Buffer.from(sig), m]), records), ['pass'], c);
  }
});
