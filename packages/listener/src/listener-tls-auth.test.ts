import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { HOSTNAME, RawClient, startListener, type Harness } from './harness.js';
import { hashPassword } from './passwords.js';
import { makeCertificate, run } from '@petrel/testkit';

const T = { timeout: 20_000 };
/** A cheap scrypt cost keeps the tests fast; the format is the same. */
const CHEAP = { N: 1024, r: 8, p: 1 };

async function fixture(
  t: { after(fn: () => unknown): void },
  extra: readonly string[] = [],
): Promise<{ h: Harness; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-listener-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await makeCertificate(dir);
  writeFileSync(join(dir, 'users'), `# test users\nalice:${await hashPassword('s3cret', CHEAP)}\n`);
  const h = await startListener({
    configFile: join(dir, 'petrel.toml'),
    listener: [
      'tls_certificate = "cert.pem"',
      'tls_key = "key.pem"',
      'auth_users_file = "users"',
      'relay_networks = ["127.0.0.1/32"]',
      'local_domains = ["petrel.test"]',
      ...extra,
    ],
  });
  t.after(() => h.close());
  return { h, dir };
}

const swaks = async (port: number, args: readonly string[]): Promise<{ code: number | null; out: string }> => {
  const r = await run(
    'swaks',
    ['--server', `127.0.0.1:${port}`, '--local-interface', '127.0.0.9', '--timeout', '10', ...args],
    { timeoutMs: 15_000 },
  );
  return { code: r.code, out: r.stdout + r.stderr };
};

/** swaks over STARTTLS as alice from a@test.local to x@example.test, with AUTH `mech`. */
const swaksAuth = (port: number, mech: 'PLAIN' | 'LOGIN', password: string) =>
  swaks(
    port,
    ['--from', 'a@test.local', '--to', 'x@example.test', '--tls', '--auth', mech].concat([
      '--auth-user',
      'alice',
      '--auth-password',
      password,
    ]),
  );

test('swaks --tls --auth PLAIN from outside relay_networks relays, and the envelope names the user', T, async (t) => {
  const { h } = await fixture(t);
  const r = await swaksAuth(h.port, 'PLAIN', 's3cret');
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /<~ +235 2\.7\.0 Authentication successful/);
  assert.equal(h.stored.length, 1);
  const { envelope, body } = h.stored[0]!;
  assert.equal(envelope.client?.authUser, 'alice');
  assert.equal(envelope.client?.address, '127.0.0.9');
  assert.match(
    body.toString(),
    /^Received: from \S+ \(\[127\.0\.0\.9\]\)\r\n\t\(using TLSv1\.[23] with cipher \S+\)\r\n\tby mx\.petrel\.test \(Petrel\) with ESMTPSA id /,
  );
});

test('swaks --tls --auth LOGIN authenticates too', T, async (t) => {
  const { h } = await fixture(t);
  const r = await swaksAuth(h.port, 'LOGIN', 's3cret');
  assert.equal(r.code, 0, r.out);
  assert.equal(h.stored[0]?.envelope.client?.authUser, 'alice');
});

test('a wrong password gets 535 5.7.8 and the relay attempt after it 554 5.7.1', T, async (t) => {
  const { h } = await fixture(t);
  const r = await swaksAuth(h.port, 'PLAIN', 'wrong');
  assert.notEqual(r.code, 0);
  assert.match(r.out, /<~\*+ +535 5\.7\.8 /);
  // Without AUTH (TLS only) from a non-relay network: refused as open relay.
  const r2 = await swaks(h.port, ['--from', 'a@test.local', '--to', 'x@example.test', '--tls']);
  assert.match(r2.out, /<~\*+ +554 5\.7\.1 <x@example\.test>: Relaying denied/);
  // And in clear.
  const r3 = await swaks(h.port, ['--from', 'a@test.local', '--to', 'x@example.test']);
  assert.match(r3.out, /<\*\* +554 5\.7\.1 <x@example\.test>: Relaying denied/);
  assert.equal(h.stored.length, 0);
  assert.ok(h.rejected.some((e) => e.reply.code === 535 && e.phase === 'awaiting mailfrom'));
});

test(
  'AUTH before STARTTLS is refused with 538 5.7.11 and not advertised; after TLS AUTH is offered and STARTTLS is not',
  T,
  async (t) => {
    const { h } = await fixture(t);
    const c = await RawClient.open(h.port);
    t.after(() => c.destroy());
    const ehlo = await c.cmd('EHLO client.test');
    assert.match(ehlo, /250[ -]STARTTLS\r\n/);
    assert.doesNotMatch(ehlo, /AUTH/);
    assert.match(await c.cmd(`AUTH PLAIN ${Buffer.from('\0alice\0s3cret').toString('base64')}`), /^538 5\.7\.11 /);
    const r = await swaks(h.port, [
      '--from',
      'a@test.local',
      '--to',
      'x@example.test',
      '--auth',
      'PLAIN',
      '--auth-user',
      'alice',
      '--auth-password',
      's3cret',
    ]);
    assert.notEqual(r.code, 0, 'swaks refuses to go on without an advertised AUTH');
    const tls = await swaks(h.port, ['--tls', '--quit-after', 'EHLO']);
    const afterTls = tls.out.slice(tls.out.indexOf('TLS started'));
    assert.match(afterTls, /250[ -]AUTH PLAIN LOGIN/);
    assert.doesNotMatch(afterTls, /STARTTLS/);
  },
);

test('auth_allow_plaintext offers AUTH in clear', T, async (t) => {
  const { h } = await fixture(t, ['auth_allow_plaintext = true']);
  const r = await swaks(h.port, [
    '--from',
    'a@test.local',
    '--to',
    'x@example.test',
    '--auth',
    'LOGIN',
    '--auth-user',
    'alice',
    '--auth-password',
    's3cret',
  ]);
  assert.equal(r.code, 0, r.out);
  assert.match(h.stored[0]!.body.toString(), /with ESMTPA id /);
});

test('MAIL FROM in a local domain without AUTH from outside relay_networks is refused with 553 5.7.1', T, async (t) => {
  const { h } = await fixture(t);
  const r = await swaks(h.port, ['--from', 'ceo@petrel.test', '--to', 'x@example.test', '--tls']);
  assert.match(r.out, /<~\*+ +553 5\.7\.1 Sender address in a local domain requires authentication/);
  // RCPT to a local domain is refused for everyone: Petrel delivers nothing locally.
  const c = await RawClient.open(h.port);
  t.after(() => c.destroy());
  await c.cmd('EHLO client.test');
  await c.cmd('MAIL FROM:<a@test.local>');
  assert.match(
    await c.cmd('RCPT TO:<postmaster@PETREL.test>'),
    /^550 5\.1\.2 <postmaster@PETREL\.test>: Petrel is an outbound-only MTA/,
  );
});

test('after auth_max_failures wrong passwords the client IP gets 421 4.7.0 and is disconnected', T, async (t) => {
  const { h } = await fixture(t, ['auth_allow_plaintext = true', 'auth_max_failures = 3']);
  const bad = `AUTH PLAIN ${Buffer.from('\0alice\0nope').toString('base64')}`;
  const c = await RawClient.open(h.port);
  t.after(() => c.destroy());
  await c.cmd('EHLO client.test');
  assert.match(await c.cmd(bad), /^535 5\.7\.8 /);
  assert.match(await c.cmd(bad), /^535 5\.7\.8 /);
  assert.match(await c.cmd(bad), /^535 5\.7\.8 /);
  assert.match(await c.reply(), /^421 4\.7\.0 Error: too many authentication failures/);
  await c.closed;
  // A new connection from the same address is refused at AUTH, even with the right password.
  const d = await RawClient.open(h.port);
  t.after(() => d.destroy());
  await d.cmd('EHLO client.test');
  assert.match(await d.cmd(`AUTH PLAIN ${Buffer.from('\0alice\0s3cret').toString('base64')}`), /^421 4\.7\.0 /);
  await d.closed;
});

test('commands pipelined after STARTTLS in clear are discarded, not run inside TLS (RFC 3207 §5)', T, async (t) => {
  const { h } = await fixture(t);
  const c = await RawClient.open(h.port);
  t.after(() => c.destroy());
  await c.cmd('EHLO client.test');
  // The injected MAIL would be answered after the handshake if it were kept.
  c.send('STARTTLS\r\nMAIL FROM:<injected@test.local>\r\n');
  assert.match(await c.reply(), /^220 2\.0\.0 Ready to start TLS/);
  const secure = tlsConnect({ socket: c.tcp, rejectUnauthorized: false, servername: HOSTNAME });
  t.after(() => secure.destroy());
  await new Promise<void>((r, j) => secure.once('secureConnect', () => r()).once('error', j));
  let got = '';
  secure.setEncoding('utf8');
  secure.on('data', (d: string) => (got += d));
  secure.write('NOOP\r\n');
  for (let i = 0; i < 100 && !got.includes('\n'); i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(got, '250 2.0.0 Ok\r\n', 'the first reply inside TLS is the NOOP one');
});

test('reloadTls() makes new handshakes use a renewed certificate', T, async (t) => {
  const { h, dir } = await fixture(t);
  const fingerprint = async (): Promise<string> => {
    const c = await RawClient.open(h.port);
    await c.cmd('EHLO client.test');
    await c.cmd('STARTTLS');
    const s = tlsConnect({ socket: c.tcp, rejectUnauthorized: false });
    await new Promise<void>((r, j) => s.once('secureConnect', () => r()).once('error', j));
    const fp = s.getPeerCertificate().fingerprint256;
    s.destroy();
    return fp;
  };
  const before = await fingerprint();
  await makeCertificate(dir, 'renewed.petrel.test');
  assert.equal(await fingerprint(), before, 'no change before reload');
  assert.equal(h.listener.reloadTls(), true);
  assert.notEqual(await fingerprint(), before);
  writeFileSync(join(dir, 'key.pem'), 'garbage');
  assert.equal(h.listener.reloadTls(), false, 'a broken key is refused');
  assert.ok(readFileSync(join(dir, 'cert.pem')).length > 0);
});

test(
  'parallel AUTH from one address: checks are counted as they start, so no more than auth_max_failures passwords are checked',
  T,
  async (t) => {
    // A real scrypt cost: every check is still running when the last connection's AUTH arrives.
    const dir = mkdtempSync(join(tmpdir(), 'petrel-listener-auth-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'users'), `alice:${await hashPassword('s3cret', { N: 16384, r: 8, p: 1 })}\n`);
    const h = await startListener({
      configFile: join(dir, 'petrel.toml'),
      listener: ['auth_users_file = "users"', 'auth_allow_plaintext = true', 'auth_max_failures = 3'],
    });
    t.after(() => h.close());
    const clients = await Promise.all(Array.from({ length: 20 }, () => RawClient.open(h.port)));
    t.after(() => {
      for (const c of clients) c.destroy();
    });
    for (const c of clients) assert.match(await c.cmd('EHLO client.test'), /^250 AUTH PLAIN LOGIN\r\n$/m);
    for (const c of clients) c.send(`AUTH PLAIN ${Buffer.from('\0alice\0wrong').toString('base64')}\r\n`);
    const first = await Promise.all(clients.map((c) => c.reply()));
    const checked = first.filter((r) => r.startsWith('535 5.7.8'));
    assert.equal(checked.length, 3, first.join(''));
    assert.equal(
      first.filter((r) => r.startsWith('421 4.7.0 Error: too many authentication failures')).length,
      17,
      first.join(''),
    );
    // After the limit even the right password is refused, unchecked.
    const d = await RawClient.open(h.port);
    t.after(() => d.destroy());
    await d.cmd('EHLO client.test');
    assert.match(await d.cmd(`AUTH PLAIN ${Buffer.from('\0alice\0s3cret').toString('base64')}`), /^421 4\.7\.0 /);
  },
);
