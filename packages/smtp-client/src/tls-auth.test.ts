/** DANE verdicts on real certificate chains (RFC 7672 §3.1), and MTA-STS MX patterns (RFC 8461 §4.1). */
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { TlsaRecordData } from '@petrel/core';
import { makeTestCa } from '@petrel/testkit';
import { daneVerdict, mxMatches } from './tls-auth.js';

let dir: string;
let leaf: X509Certificate;
let ca: X509Certificate;
let other: X509Certificate;
let NOW = 0;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'petrel-dane-'));
  const authority = await makeTestCa(dir);
  leaf = new X509Certificate(readFileSync((await authority.issue(['mx.d.test'])).cert));
  other = new X509Certificate(readFileSync((await authority.issue(['mx.other.test'])).cert));
  ca = new X509Certificate(readFileSync(authority.ca));
  NOW = Date.now() + 1000;
});
after(() => rmSync(dir, { recursive: true, force: true }));

function rec(usage: number, selector: number, matchingType: number, cert: X509Certificate): TlsaRecordData {
  const part = selector === 1 ? cert.publicKey.export({ type: 'spki', format: 'der' }) : cert.raw;
  const data =
    matchingType === 0
      ? part.toString('hex')
      : createHash(matchingType === 1 ? 'sha256' : 'sha512')
          .update(part)
          .digest('hex');
  return { usage, selector, matchingType, data };
}

test('DANE-EE matches the leaf for every selector and matching type, with no name check', () => {
  for (const selector of [0, 1])
    for (const mt of [0, 1, 2])
      assert.deepEqual(daneVerdict([leaf], [rec(3, selector, mt, leaf)], ['unrelated.test'], NOW), { ok: true });
});

test('DANE-EE for another key is tlsa-invalid', () => {
  const v = daneVerdict([leaf, ca], [rec(3, 1, 1, other)], ['mx.d.test'], NOW);
  assert.equal(v.ok ? 'ok' : v.failure, 'tlsa-invalid');
});

test('DANE-TA matches a CA of the chain the leaf is signed by, and checks the name', () => {
  assert.deepEqual(daneVerdict([leaf, ca], [rec(2, 0, 1, ca)], ['mx.d.test', 'd.test'], NOW), { ok: true });
  const wrong = daneVerdict([leaf, ca], [rec(2, 1, 2, ca)], ['mx.elsewhere.test'], NOW);
  assert.equal(wrong.ok ? 'ok' : wrong.failure, 'certificate-host-mismatch');
});

test('DANE-TA whose anchor is not in the chain sent, or a chain that does not lead to it, fails', () => {
  const missing = daneVerdict([leaf], [rec(2, 0, 1, ca)], ['mx.d.test'], NOW);
  assert.equal(missing.ok, false);
  // `other` is not the issuer of `leaf`: the signature check refuses the pairing.
  const forged = daneVerdict([leaf, other], [rec(2, 0, 1, other)], ['mx.d.test'], NOW);
  assert.equal(forged.ok, false);
});

test('DANE-TA refuses an expired leaf', () => {
  const later = Date.parse(leaf.validTo) + 1000;
  assert.equal(daneVerdict([leaf, ca], [rec(2, 0, 1, ca)], ['mx.d.test'], later).ok, false);
});

test('MTA-STS mx patterns: exact names and a wildcard for the left-most label only', () => {
  assert.equal(mxMatches('MX1.Example.com.', ['mx1.example.com']), true);
  assert.equal(mxMatches('mx1.example.com', ['*.example.com']), true);
  assert.equal(mxMatches('a.b.example.com', ['*.example.com']), false);
  assert.equal(mxMatches('example.com', ['*.example.com']), false);
  assert.equal(mxMatches('mx.other.com', ['mx1.example.com', '*.example.com']), false);
});
