/**
 * The real daemon with STARTTLS and AUTH: an authenticated client outside relay_networks
 * relays to the MX, an unauthenticated one is refused, and SIGHUP loads a renewed certificate.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scenario } from '../lib/scenario.js';
import { scenarioConfig, startScenarioPetrel } from '../lib/petrel.js';
import { sinkBody, startSink, swaks, waitFor, run, writeCertificate } from '@petrel/testkit';

const HASH_SCRIPT = fileURLToPath(new URL('../../../packages/listener/scripts/hash-password.mjs', import.meta.url));

async function certificate(dir: string, cn: string): Promise<void> {
  writeCertificate(dir, cn);
}

/** The pid listening on 127.0.0.1:port (ss), to signal exactly the daemon this test started. */
async function pidOf(port: number): Promise<number> {
  const r = await run('ss', ['-Hltnp', `sport = :${port}`]);
  const m = /pid=(\d+)/.exec(r.stdout);
  assert.ok(m, `no pid for port ${port}: ${r.stdout}`);
  return Number(m[1]);
}

test('STARTTLS + AUTH PLAIN from outside relay_networks is delivered; without AUTH refused; SIGHUP reloads the certificate', {
  timeout: 25_000,
}, async (t) => {
  const s = await scenario(t);
  const sink = s.stopAfter(await startSink(s.dir, '127.0.0.2', s.mxPort));
  const pdir = join(s.dir, 'petrel');
  await run('mkdir', ['-p', pdir]);
  await certificate(pdir, 'first.petrel.test');
  // The documented helper makes the users file; the password never appears in argv.
  const line = await run(process.execPath, [HASH_SCRIPT, 'alice'], { input: 'correct horse' });
  assert.equal(line.code, 0, line.stderr);
  assert.match(line.stdout, /^alice:scrypt\$16384\$8\$1\$/);
  // A long secret (an API token, say): its AUTH PLAIN line is ~2,000 octets, over the 512-octet
  // command limit and within RFC 4954 §4's 12,288 for AUTH lines and SASL responses.
  const longSecret = 'token-'.repeat(250);
  const carol = await run(process.execPath, [HASH_SCRIPT, 'carol'], { input: longSecret });
  assert.equal(carol.code, 0, carol.stderr);
  // An existing bcrypt database line, written by crypt(3) (libxcrypt via python3), not by Petrel.
  const bcryptLine = await run('/usr/bin/python3', [
    '-W',
    'ignore',
    '-c',
    'import crypt; print("dave:" + crypt.crypt("dave pass", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=32)))',
  ]);
  assert.match(bcryptLine.stdout, /^dave:\$2b\$05\$/);
  writeFileSync(join(pdir, 'users'), line.stdout + carol.stdout + bcryptLine.stdout);
  const toml = scenarioConfig(s, {
    relayNetworks: ['127.0.0.1/32'],
  }).replace(
    'max_message_size = "10MB"',
    'max_message_size = "10MB"\ntls_certificate = "cert.pem"\ntls_key = "key.pem"\nauth_users_file = "users"',
  );
  await startScenarioPetrel(s, toml, pdir);
  const from127_9 = ['--server', `127.0.0.1:${s.listenPort}`, '--local-interface', '127.0.0.9'];

  const ok = await swaks([
    ...from127_9,
    '--from',
    'alice@test.local',
    '--to',
    'bob@example.test',
    '--tls',
    '--auth',
    'PLAIN',
    '--auth-user',
    'alice',
    '--auth-password',
    'correct horse',
  ]);
  assert.equal(ok.code, 0, ok.out);
  assert.match(ok.out, /TLS peer DN="\/CN=first\.petrel\.test"/);
  const delivered = await waitFor('the message at the sink', () =>
    sink.messages().length === 1 ? sink.messages() : undefined,
  );
  assert.match(sinkBody(delivered[0]!), /with ESMTPSA id /);

  for (const mech of ['PLAIN', 'LOGIN']) {
    const long = await swaks([
      ...from127_9,
      '--from',
      'carol@test.local',
      '--to',
      'bob@example.test',
      '--tls',
      '--auth',
      mech,
      '--auth-user',
      'carol',
      '--auth-password',
      longSecret,
    ]);
    assert.equal(long.code, 0, long.out);
    assert.match(long.out, /235 2\.7\.0 /, `AUTH ${mech} with a long secret`);
  }
  await waitFor('the long-secret messages at the sink', () => sink.messages().length === 3);
  const dave = await swaks([
    ...from127_9,
    '--from',
    'dave@test.local',
    '--to',
    'bob@example.test',
    '--tls',
    '--auth',
    'LOGIN',
    '--auth-user',
    'dave',
    '--auth-password',
    'dave pass',
  ]);
  assert.match(dave.out, /235 2\.7\.0 /, 'a bcrypt user authenticates');
  await waitFor("the bcrypt user's message at the sink", () => sink.messages().length === 4);

  const noAuth = await swaks([...from127_9, '--from', 'alice@test.local', '--to', 'bob@example.test', '--tls']);
  assert.match(noAuth.out, /554 5\.7\.1 <bob@example\.test>: Relaying denied/);
  const badPw = await swaks([
    ...from127_9,
    '--from',
    'alice@test.local',
    '--to',
    'bob@example.test',
    '--tls',
    '--auth',
    'LOGIN',
    '--auth-user',
    'alice',
    '--auth-password',
    'wrong',
  ]);
  assert.match(badPw.out, /535 5\.7\.8 /);

  await certificate(pdir, 'renewed.petrel.test');
  process.kill(await pidOf(s.listenPort), 'SIGHUP');
  await waitFor(
    'the renewed certificate after SIGHUP',
    async () => {
      const r = await swaks([...from127_9, '--tls', '--quit-after', 'EHLO']);
      return /TLS peer DN="\/CN=renewed\.petrel\.test"/.test(r.out);
    },
    10_000,
    200,
  );
  assert.equal(sink.messages().length, 4, 'nothing else was relayed');
});
