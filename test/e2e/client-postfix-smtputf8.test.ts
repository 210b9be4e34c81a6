/**
 * SMTPUTF8 (RFC 6531) end to end: a message with a UTF-8 mailbox, submitted to Petrel with
 * SMTPUTF8, goes to Postfix (which advertises SMTPUTF8) with SMTPUTF8 on MAIL and the UTF-8 address
 * unchanged on RCPT; the same message to smtp-sink (no SMTPUTF8 in its EHLO) fails permanently
 * with Petrel's 553 5.6.7 internal reply before anything is sent (RFC 6531 §3.4: no downgrade of
 * UTF-8 addresses). A message that asked for SMTPUTF8 but whose envelope and headers are ASCII
 * needs nothing of it (RFC 6531 §3.4: the client SHOULD NOT send SMTPUTF8 then) and is delivered.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scenario } from '../lib/scenario.js';
import { startScenarioPetrel } from '../lib/petrel.js';

/** python smtplib: one message, UTF-8 recipients at both destinations, SMTPUTF8 on MAIL. */
const SUBMIT = `
import smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), local_hostname='submitter.test')
msg = 'From: alice@test.local\\r\\nTo: 用户@example.test\\r\\nSubject: 你好\\r\\n\\r\\nUTF-8 all the way: 用户\\r\\n'.encode('utf-8')
refused = s.sendmail('alice@test.local', ['用户@example.test', '用户@nomx.test'], msg, mail_options=['SMTPUTF8', 'BODY=8BITMIME'])
assert not refused, refused
# All ASCII although SMTPUTF8 was asked for: nothing needs it, so it may go to smtp-sink without it.
refused = s.sendmail('alice@test.local', ['ascii@nomx.test'], b'Subject: plain\\r\\n\\r\\nascii only\\r\\n', mail_options=['SMTPUTF8'])
assert not refused, refused
s.quit()
`;
import { startSink, startPostfixDestination, run } from '@petrel/testkit';

test('a UTF-8 address goes to Postfix with SMTPUTF8 on MAIL, fails with 553 5.6.7 to a server without SMTPUTF8, and an all-ASCII SMTPUTF8 message goes there without it', {
  timeout: 25_000,
}, async (t) => {
  // nomx.test has no MX: its A record 127.0.0.4 is the implicit MX, where smtp-sink listens.
  const s = await scenario(t);
  const postfix = s.stopAfter(await startPostfixDestination(s.dir, { host: '127.0.0.2', port: s.mxPort }));
  const sink = s.stopAfter(await startSink(s.dir, '127.0.0.4', s.mxPort));
  const petrel = await startScenarioPetrel(s, {
    global: 'generate_bounces = false',
  });

  const py = await run('/usr/bin/python3', ['-c', SUBMIT, String(s.listenPort)], { timeoutMs: 15_000 });
  assert.equal(py.code, 0, py.stderr);
  const events = await petrel.waitForEvents(
    'both outcomes',
    (e) => e.filter((x) => x.type === 'delivery').length === 2 && e.some((x) => x.type === 'permanent_failure'),
  );

  // Postfix: SMTPUTF8 on MAIL, the UTF-8 mailbox as is on RCPT, stored as a UTF8SMTP message.
  const delivery = events.find((e) => e.type === 'delivery' && e.domain === 'example.test')!;
  assert.equal(delivery.recipient, '用户@example.test');
  assert.equal(delivery.remote_ip, '127.0.0.2');
  const [held] = await postfix.waitForHeld(1);
  const session = postfix.sessions().find((x) => x.commands.some((c) => c.startsWith('MAIL FROM:')));
  assert.ok(session, postfix.maillog());
  const mail = session.commands.find((c) => c.startsWith('MAIL FROM:'))!;
  assert.ok(mail.split(' ').includes('SMTPUTF8'), mail);
  assert.ok(mail.split(' ').includes('BODY=8BITMIME'), mail);
  assert.deepEqual(
    session.commands.filter((c) => c.startsWith('RCPT TO:')),
    ['RCPT TO:<用户@example.test>'],
  );
  assert.ok(held!.envelope.includes('recipient: 用户@example.test'), held!.envelope.join('\n'));
  assert.match(held!.content, /by pfx-dest\.test \(Postfix\) with UTF8SMTP id /);
  assert.match(held!.content, /^Subject: 你好$/m);
  assert.match(held!.content, /^UTF-8 all the way: 用户$/m);

  // smtp-sink: no SMTPUTF8 advertised, so Petrel refuses itself, permanently, before MAIL.
  const failure = events.find((e) => e.type === 'permanent_failure')!;
  assert.equal(failure.recipient, '用户@nomx.test');
  assert.equal(failure.reply, '553 5.6.7 [internal] SMTPUTF8 required but not advertised');
  assert.equal(failure.enhanced, '5.6.7');
  assert.equal(failure.stage, 2, 'Momentum stage 2: during MAIL FROM');
  assert.equal(failure.remote_ip, '127.0.0.4');
  // The all-ASCII one: delivered to smtp-sink, without SMTPUTF8 on MAIL.
  const ascii = events.find((e) => e.type === 'delivery' && e.recipient === 'ascii@nomx.test');
  assert.ok(ascii, 'the all-ASCII message was delivered to smtp-sink');
  assert.equal(ascii.remote_ip, '127.0.0.4');
  const dumps = sink.messages();
  assert.equal(dumps.length, 1, 'only the all-ASCII message reached smtp-sink');
  assert.match(dumps[0]!, /^X-Mail-Args: <alice@test\.local>/m);
  assert.doesNotMatch(dumps[0]!, /^X-Mail-Args: .*SMTPUTF8/m);
  assert.match(dumps[0]!, /^ascii only$/m);
  assert.equal(events.filter((e) => e.type === 'transient_failure').length, 0);
});
