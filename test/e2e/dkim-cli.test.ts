import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, startDnsmasq } from '@petrel/testkit';
import { CLI } from '../lib/petrel.js';
import { keygen } from '../lib/dkim.js';

/** A dnsmasq TXT record line, the text cut into strings of at most 255 octets (RFC 1035 §3.3.14). */
function txtRecord(name: string, text: string): string {
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += 255) parts.push(`"${text.slice(i, i + 255)}"`);
  return `txt-record=${name},${parts.join(',')}`;
}

const cli = (args: readonly string[]) => run(process.execPath, [CLI, ...args], { timeoutMs: 30_000 });

test('petrel dkim check looks the records up through [dns] servers: ok (0), mismatch or missing (3), unknown domain (2)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-dkim-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'keys'));
  const good = await keygen(join(dir, 'keys', 'good.pem'), 'mail.test', 'good', 'rsa');
  const stale = await keygen(join(dir, 'keys', 'stale.pem'), 'mail.test', 'stale', 'ed25519');
  const other = await keygen(join(dir, 'keys', 'other.pem'), 'mail.test', 'other', 'ed25519');
  // good: its own record (RSA, longer than one TXT string); stale: another key's record; gone: none.
  const dns = await startDnsmasq([txtRecord(good.name, good.record), txtRecord(stale.name, other.record)]);
  t.after(() => dns.stop());
  const table = (selector: string, file: string): string =>
    `[[dkim]]\ndomain = "mail.test"\nselector = "${selector}"\nkey_file = "${file}"\n`;
  const config = join(dir, 'petrel.toml');
  writeFileSync(
    config,
    `[dns]\nservers = ["${dns.server}"]\ntimeout = "1s"\ntries = 1\n` +
      table('good', good.keyFile) +
      table('stale', stale.keyFile) +
      table('gone', other.keyFile),
  );
  const all = await cli(['dkim', 'check', '--domain', 'mail.test', '--config', config]);
  assert.equal(all.code, 3, all.stdout + all.stderr);
  assert.match(all.stdout, /^good\._domainkey\.mail\.test: ok, the record matches .*good\.pem$/m);
  assert.match(
    all.stdout,
    /^stale\._domainkey\.mail\.test: MISMATCH: p= is not the public half of the configured private key$/m,
  );
  assert.match(all.stdout, /^gone\._domainkey\.mail\.test: MISSING: no TXT record/m);
  assert.match(all.stdout, /publish: gone\._domainkey\.mail\.test\. IN TXT \( "v=DKIM1; k=ed25519; p=/);
  const one = await cli(['dkim', 'check', '--domain', 'MAIL.test', '--selector', 'good', '--config', config]);
  assert.equal(one.code, 0, one.stdout + one.stderr);
  const json = await cli([
    'dkim',
    'check',
    '--domain',
    'mail.test',
    '--selector',
    'stale',
    '--config',
    config,
    '--json',
  ]);
  assert.equal((JSON.parse(json.stdout) as { result: { status: string } }[])[0]!.result.status, 'mismatch');
  const unknown = await cli(['dkim', 'check', '--domain', 'nope.example', '--config', config]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /no \[\[dkim\]\] key for domain nope\.example/);
});

test('petrel dkim keygen: 2048-bit RSA by default, never overwrites, refuses short keys; config check names a bad key file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-dkim-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'k.pem');
  const r = await cli(['dkim', 'keygen', '--domain', 'example.com', '--selector', 's1', '--out', file]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^wrote .*k\.pem \(rsa-sha256, 2048 bits, mode 0600\)$/m);
  assert.match(r.stdout, /^s1\._domainkey\.example\.com\. IN TXT \( "v=DKIM1; k=rsa; p=[^"]{200,}" "[^"]+" \)$/m);
  const again = await cli(['dkim', 'keygen', '--domain', 'example.com', '--selector', 's1', '--out', file]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /k\.pem: cannot write the key: the file exists/);
  const short = await cli([
    'dkim',
    'keygen',
    '--domain',
    'e.com',
    '--selector',
    's',
    '--bits',
    '512',
    '--out',
    join(dir, 's.pem'),
  ]);
  assert.equal(short.code, 2);
  assert.match(short.stderr, /--bits: expected RSA bits from 1024 to 8192, found 512/);

  writeFileSync(join(dir, 'bad.pem'), 'not a key\n', { mode: 0o600 });
  const config = join(dir, 'petrel.toml');
  writeFileSync(config, '[[dkim]]\ndomain = "example.com"\nselector = "s1"\nkey_file = "bad.pem"\n');
  const check = await cli(['config', 'check', config]);
  assert.equal(check.code, 2, check.stdout + check.stderr);
  assert.match(
    check.stderr,
    new RegExp(`petrel\\.toml:1: dkim\\[1\\]\\.key_file: ${join(dir, 'bad.pem')}: expected a PEM private key`),
  );
});
