/**
 * Password guessing over parallel connections (python smtplib, 45 threads from one address, all
 * sending AUTH at once) against the real daemon: checks are counted as they start, so no more
 * than auth_max_failures passwords are checked, the rest get 421 4.7.0 unchecked, and the right
 * password afterwards is refused too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scenario } from '../lib/scenario.js';
import { scenarioConfig, startScenarioPetrel } from '../lib/petrel.js';
import { run } from '@petrel/testkit';

const HASH_SCRIPT = fileURLToPath(new URL('../../../packages/listener/scripts/hash-password.mjs', import.meta.url));

const GUESS = `
import smtplib, sys, threading
port, n, password = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
barrier = threading.Barrier(n)
results = []
lock = threading.Lock()
def guess():
    s = smtplib.SMTP('127.0.0.1', port, timeout=30)
    s.ehlo('client.test')
    assert 'PLAIN' in s.esmtp_features.get('auth', ''), s.esmtp_features
    s.user, s.password = 'alice', password
    barrier.wait()
    try:
        # PLAIN only: smtplib.login() would retry a refused PLAIN with LOGIN.
        code = s.auth('PLAIN', s.auth_plain)[0]
    except smtplib.SMTPAuthenticationError as e:
        code = e.smtp_code
    except smtplib.SMTPServerDisconnected:
        code = 'closed'
    with lock:
        results.append(str(code))
    try:
        s.close()
    except Exception:
        pass
threads = [threading.Thread(target=guess) for _ in range(n)]
for t in threads: t.start()
for t in threads: t.join()
print(' '.join(sorted(results)))
`;

test('45 parallel smtplib AUTH guesses from one IP: at most auth_max_failures are checked; the right password afterwards is refused', {
  timeout: 60_000,
}, async (t) => {
  const s = await scenario(t);
  const pdir = join(s.dir, 'petrel');
  await run('mkdir', ['-p', pdir]);
  const line = await run(process.execPath, [HASH_SCRIPT, 'alice'], { input: 'correct horse' });
  assert.equal(line.code, 0, line.stderr);
  writeFileSync(join(pdir, 'users'), line.stdout);
  const toml = scenarioConfig(s, { global: 'suspend_delivery = true' }).replace(
    'max_message_size = "10MB"',
    'max_message_size = "10MB"\nauth_users_file = "users"\nauth_allow_plaintext = true\nauth_max_failures = 5',
  );
  await startScenarioPetrel(s, toml, pdir);

  const wrong = await run('/usr/bin/python3', ['-c', GUESS, String(s.listenPort), '45', 'wrong guess'], {
    timeoutMs: 50_000,
  });
  assert.equal(wrong.code, 0, wrong.stdout + wrong.stderr);
  const codes = wrong.stdout.trim().split(' ');
  assert.equal(codes.length, 45, wrong.stdout);
  // Each 535 is one password check; the others were refused before any check.
  assert.equal(codes.filter((c) => c === '535').length, 5, wrong.stdout);
  assert.equal(codes.filter((c) => c === '421').length, 40, wrong.stdout);

  const right = await run('/usr/bin/python3', ['-c', GUESS, String(s.listenPort), '1', 'correct horse'], {
    timeoutMs: 20_000,
  });
  assert.equal(right.code, 0, right.stdout + right.stderr);
  assert.equal(right.stdout.trim(), '421', 'the right password after the limit is refused');
});
