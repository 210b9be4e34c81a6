/**
 * A client that keeps sending RCPTs past max_recipients (python smtplib, 10,000 of them) is cut
 * off: after recipient_overshoot_limit 452s each further one counts as an error, and max_errors
 * ends the session with 421 (Postfix smtpd_recipient_overshoot_limit / smtpd_hard_error_limit).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scenario } from '../lib/scenario.js';
import { scenarioConfig, startScenarioPetrel } from '../lib/petrel.js';
import { run } from '@petrel/testkit';

const FLOOD = `
import smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=20)
s.ehlo('client.test')
s.mail('a@example.test')
codes = {}
last = None
sent = 0
try:
    for i in range(10000):
        sent += 1
        code, text = s.rcpt('r%d@example.test' % i)
        codes[code] = codes.get(code, 0) + 1
        last = (code, text.decode())
        if code == 421:
            break
except smtplib.SMTPServerDisconnected:
    pass
print(sent, sorted(codes.items()), last)
`;

test('10,000 RCPTs from smtplib: 452 past max_recipients, then counted as errors and cut off with 421 after a bounded number', {
  timeout: 60_000,
}, async (t) => {
  const s = await scenario(t);
  const toml = scenarioConfig(s).replace(
    'max_message_size = "10MB"',
    'max_message_size = "10MB"\nmax_recipients = 10\nrecipient_overshoot_limit = 50\nmax_errors = 20',
  );
  await startScenarioPetrel(s, toml);
  const r = await run('/usr/bin/python3', ['-c', FLOOD, String(s.listenPort)], { timeoutMs: 50_000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  // 10 accepted + 50 forgiven 452s + 20 counted 452s, then the 421 answers the 81st.
  assert.match(
    r.stdout,
    /^81 \[\(250, 10\), \(421, 1\), \(452, 70\)\] \(421, '4\.7\.0 petrel\.test Error: too many errors'\)$/m,
    r.stdout,
  );
});
