/**
 * A long session through the real daemon: python smtplib sends 200 messages on one connection
 * with RSET between them (as Petrel's own client does); each accepted message forgives the
 * session's errors and junk commands (Postfix), so none gets 421. Errors without an accepted
 * message still end the session at max_errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scenario } from '../lib/scenario.js';
import { scenarioConfig, startScenarioPetrel } from '../lib/petrel.js';
import { run } from '@petrel/testkit';

const LONG_SESSION = `
import smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=20)
s.ehlo('client.test')
for i in range(200):
    s.sendmail('a@example.test', ['x@example.test'], b'Subject: n\\r\\n\\r\\nbody\\r\\n')
    code, text = s.rset()
    assert code == 250, (i, code, text)
print('sent', 200)
s.quit()
`;

const ERRORS_ONLY = `
import smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=20)
s.ehlo('client.test')
codes = []
try:
    for i in range(30):
        codes.append(s.docmd('FOO')[0])
        codes.append(s.rset()[0])
except smtplib.SMTPServerDisconnected:
    pass
print(' '.join(map(str, codes)))
`;

test('200 messages with RSET between them on one smtplib connection are all accepted; errors alone still reach 421', {
  timeout: 90_000,
}, async (t) => {
  const s = await scenario(t);
  // Delivery is not the point: the mail stays queued.
  const toml = scenarioConfig(s, {
    global: 'suspend_delivery = true',
  }).replace('max_message_size = "10MB"', 'max_message_size = "10MB"\nmax_errors = 5');
  await startScenarioPetrel(s, toml);

  const long = await run('/usr/bin/python3', ['-c', LONG_SESSION, String(s.listenPort)], { timeoutMs: 80_000 });
  assert.equal(long.code, 0, long.stdout + long.stderr);
  assert.match(long.stdout, /^sent 200$/m);

  const errors = await run('/usr/bin/python3', ['-c', ERRORS_ONLY, String(s.listenPort)], { timeoutMs: 20_000 });
  assert.equal(errors.code, 0, errors.stdout + errors.stderr);
  const codes = errors.stdout.trim().split(' ').map(Number);
  // FOO, RSET, … : the 5th 500 is followed by 421 (smtplib reads it as the RSET's reply or disconnects).
  assert.equal(codes.filter((c) => c === 500).length, 5, errors.stdout);
  assert.ok(codes.length <= 11, `the session ended at max_errors: ${errors.stdout}`);
});
