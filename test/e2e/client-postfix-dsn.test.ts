/**
 * DSN pass-through (RFC 3461): RET/ENVID on MAIL and NOTIFY/ORCPT on RCPT, as a client gave them to
 * Petrel, reach the next hop (Postfix, which advertises DSN) on the wire, xtext re-encoded; a
 * recipient without them gets none. Proven from Postfix's dialogue log and its stored envelope.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scenario } from '../lib/scenario.js';
import { startScenarioPetrel } from '../lib/petrel.js';
import { startPostfixDestination, run } from '@petrel/testkit';

/** python smtplib (an independent client) submits one message with DSN parameters, recipient by recipient. */
const SUBMIT = `
import smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), local_hostname='submitter.test')
s.ehlo()
assert s.has_extn('dsn'), 'Petrel does not advertise DSN'
code, msg = s.mail('alice@test.local', ['RET=HDRS', 'ENVID=abc123'])
assert code == 250, (code, msg)
for rcpt, opts in [('bob@example.test', ['NOTIFY=SUCCESS,FAILURE', 'ORCPT=rfc822;orig@example.test']),
                   ('dave@example.test', ['NOTIFY=NEVER', 'ORCPT=rfc822;d+2Bave@example.test']),
                   ('erin@example.test', [])]:
    code, msg = s.rcpt(rcpt, opts)
    assert code == 250, (rcpt, code, msg)
code, msg = s.data(b'From: alice@test.local\\r\\nSubject: dsn pass-through\\r\\n\\r\\nhello\\r\\n')
assert code == 250, (code, msg)
s.quit()
`;

test('RET, ENVID, NOTIFY and ORCPT given to Petrel are passed on to Postfix on MAIL and RCPT; a recipient without them gets none', {
  timeout: 25_000,
}, async (t) => {
  const s = await scenario(t);
  const postfix = s.stopAfter(await startPostfixDestination(s.dir, { host: '127.0.0.2', port: s.mxPort }));
  const petrel = await startScenarioPetrel(s);

  const py = await run('/usr/bin/python3', ['-c', SUBMIT, String(s.listenPort)], { timeoutMs: 15_000 });
  assert.equal(py.code, 0, py.stderr);
  await petrel.waitForEvents('three deliveries', (e) => e.filter((x) => x.type === 'delivery').length === 3);
  const [held] = await postfix.waitForHeld(1);

  // On the wire: one transaction, parameters exactly as RFC 3461 spells them (xtext "+2B" for "+").
  const session = postfix.sessions().find((x) => x.commands.some((c) => c.startsWith('MAIL FROM:')));
  assert.ok(session, postfix.maillog());
  const mail = session.commands.filter((c) => c.startsWith('MAIL FROM:'));
  assert.equal(mail.length, 1, session.commands.join('\n'));
  const mailParams = mail[0]!.split(' ').slice(2);
  assert.ok(mailParams.includes('RET=HDRS'), mail[0]);
  assert.ok(mailParams.includes('ENVID=abc123'), mail[0]);
  assert.deepEqual(
    session.commands.filter((c) => c.startsWith('RCPT TO:')),
    [
      'RCPT TO:<bob@example.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;orig@example.test',
      'RCPT TO:<dave@example.test> NOTIFY=NEVER ORCPT=rfc822;d+2Bave@example.test',
      'RCPT TO:<erin@example.test>',
    ],
  );

  // Postfix understood them: they are in its queue file (decoded), ready for its own DSNs.
  const env = held!.envelope;
  assert.ok(env.includes('named_attribute: envelope_id=abc123'), env.join('\n'));
  assert.ok(env.includes('named_attribute: ret_flags=2'), 'RET=HDRS (DSN_RET_HDRS = 2)');
  const rcptBlock = (rcpt: string): string[] => {
    const i = env.indexOf(`recipient: ${rcpt}`);
    assert.ok(i >= 0, `recipient ${rcpt} in:\n${env.join('\n')}`);
    // Postfix writes a recipient's DSN attributes just before its original_recipient/recipient records.
    const prev =
      env
        .slice(0, i)
        .map((l, k) => (l.startsWith('recipient: ') ? k : -1))
        .filter((k) => k >= 0)
        .pop() ?? -1;
    return env.slice(prev + 1, i);
  };
  assert.deepEqual(
    rcptBlock('bob@example.test').filter((l) => /notify_flags|dsn_orig_rcpt/.test(l)),
    ['named_attribute: notify_flags=6', 'named_attribute: dsn_orig_rcpt=rfc822;orig@example.test'],
  );
  assert.deepEqual(
    rcptBlock('dave@example.test').filter((l) => /notify_flags|dsn_orig_rcpt/.test(l)),
    ['named_attribute: notify_flags=1', 'named_attribute: dsn_orig_rcpt=rfc822;d+ave@example.test'],
  );
  // No NOTIFY came for erin; Postfix records its own default ORCPT (the address itself).
  assert.deepEqual(
    rcptBlock('erin@example.test').filter((l) => /notify_flags|dsn_orig_rcpt/.test(l)),
    ['named_attribute: dsn_orig_rcpt=rfc822;erin@example.test'],
  );
});
