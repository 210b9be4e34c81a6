import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { generateKeyPairSync } from 'node:crypto';
import { checkRecord } from './record.js';
import { dnsRecord, generateKey, keyFileModeWarning, loadKeyFile, parseKey } from './keys.js';

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-dkim-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('generated keys load with their algorithm: RSA 2048 by default, Ed25519', () => {
  const rsa = parseKey(generateKey('rsa'), 'k.pem');
  assert.equal(rsa.algorithm, 'rsa-sha256');
  assert.equal(rsa.bits, 2048);
  assert.equal(parseKey(generateKey('ed25519'), 'k.pem').algorithm, 'ed25519-sha256');
});

test('PKCS#1 RSA keys load too', () => {
  const pem = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs1' });
  assert.equal(parseKey(pem.toString(), 'k.pem').bits, 1024);
});

test('a malformed, too short, unreadable or non-RSA/Ed25519 key is PETREL_ERR_DKIM_KEY naming the file', () => {
  const bad = (fn: () => unknown, re: RegExp): void =>
    assert.throws(
      fn,
      (e: unknown) => (e as { code?: string }).code === 'PETREL_ERR_DKIM_KEY' && re.test((e as Error).message),
    );
  bad(() => parseKey('not a key', '/k/x.pem'), /^\/k\/x\.pem: expected a PEM private key/);
  const small = generateKeyPairSync('rsa', { modulusLength: 512 }).privateKey.export({ format: 'pem', type: 'pkcs8' });
  bad(
    () => parseKey(small.toString(), '/k/s.pem'),
    /^\/k\/s\.pem: expected an RSA key of at least 1024 bits .*found 512/,
  );
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' });
  bad(() => parseKey(ec.toString(), '/k/e.pem'), /found a ec key/);
  bad(() => loadKeyFile('/nonexistent/k.pem'), /^\/nonexistent\/k\.pem: cannot read the DKIM key/);
  bad(() => generateKey('rsa', 512), /expected RSA bits from 1024/);
});

test('a key file readable by group or others is warned about; 0600 is not', () => {
  withDir((dir) => {
    const f = join(dir, 'k.pem');
    writeFileSync(f, generateKey('ed25519'));
    chmodSync(f, 0o600);
    assert.equal(keyFileModeWarning(f), undefined);
    chmodSync(f, 0o644);
    assert.match(
      keyFileModeWarning(f) ?? '',
      /k\.pem: the DKIM private key is readable by its group and others \(mode 644\)/,
    );
    chmodSync(f, 0o640);
    assert.match(keyFileModeWarning(f) ?? '', /readable by its group \(mode 640\)/);
  });
});

test('checkRecord: the published record matches its key, another key or a revoked record does not', () => {
  const k = parseKey(generateKey('ed25519'), 'k').privateKey;
  const other = parseKey(generateKey('ed25519'), 'o').privateKey;
  assert.equal(checkRecord([dnsRecord(k)], k).status, 'match');
  // A long record split into strings and spaced differently is the same record.
  assert.equal(checkRecord([dnsRecord(k).replace('p=', 'p= ')], k).status, 'match');
  assert.match(JSON.stringify(checkRecord([dnsRecord(other)], k)), /not the public half/);
  assert.match(JSON.stringify(checkRecord(['v=DKIM1; k=ed25519; p='], k)), /revoked/);
  assert.match(JSON.stringify(checkRecord(['v=DKIM1; k=rsa; p=AAAA'], k)), /k=rsa, but the key is ed25519/);
  assert.equal(checkRecord([], k).status, 'missing');
  assert.equal(checkRecord(['v=spf1 -all'], k).status, 'missing');
});
