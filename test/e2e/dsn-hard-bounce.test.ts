import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simpleParser } from 'mailparser';
import { scenario } from '../lib/scenario.js';
import { startScenarioPetrel } from '../lib/petrel.js';
import { submitWithSmtplib, startAio, waitFor } from '@petrel/testkit';

test('a 550 from the MX yields one RFC 3464 DSN from <> delivered through Petrel to the sender, covering only recipients that asked', async (t) => {
  const s = await scenario(t);
  const mx = s.stopAfter(await startAio(s.dir, '127.0.0.2', s.mxPort));
  const petrel = await startScenarioPetrel(s);

  const id = await submitWithSmtplib(s.listenPort, {
    sender: 'sender@example.test',
    mailOptions: ['RET=HDRS', 'ENVID=ENV-7'],
    recipients: [
      ['hard1@example.test', ['NOTIFY=FAILURE', 'ORCPT=rfc822;hard1@example.test']],
      ['hard2@example.test', ['NOTIFY=NEVER']],
      ['bob@example.test', []],
    ],
    message:
      'From: Sender <sender@example.test>\r\nTo: hard1@example.test\r\nSubject: will bounce\r\nMessage-ID: <orig-1@example.test>\r\n\r\nthe body that RET=HDRS keeps out\r\n',
  });

  const ev = await petrel.waitForEvents(
    'the DSN delivered',
    (e) =>
      e.some((x) => x.type === 'bounce' && x.message_id === id) &&
      e.some((x) => x.type === 'delivery' && x.sender === '' && x.recipient === 'sender@example.test'),
  );
  const bounces = ev.filter((x) => x.type === 'bounce');
  assert.deepEqual(
    bounces.map((b) => [b.recipient, b.bounce_class, b.bounce_class_name]),
    [['hard1@example.test', 10, 'Invalid Recipient']],
    'hard2 said NOTIFY=NEVER',
  );
  const pf = ev.filter((x) => x.type === 'permanent_failure' && x.message_id === id);
  assert.deepEqual(pf.map((x) => [x.recipient, x.bounce_class]).sort(), [
    ['hard1@example.test', 10],
    ['hard2@example.test', 10],
  ]);
  const dsnId = String(bounces[0]!.dsn_id);
  const reception = ev.find((x) => x.type === 'reception' && x.message_id === dsnId)!;
  assert.equal(reception.protocol, 'internal');
  assert.equal(reception.sender, '');

  // The sink received the original for bob and the DSN for sender@; find the DSN by its envelope.
  const raw = await waitFor('the DSN at the MX', () => mx.messages().find((m) => m.includes('multipart/report')));
  const head = raw.toString().split('\r\n').slice(0, 2);
  assert.match(head[0]!, /^X-Env-From: <>( |$)/, 'null reverse-path');
  assert.equal(head[1], 'X-Env-To: sender@example.test');
  const mail = await simpleParser(raw.subarray(raw.indexOf('\r\n', raw.indexOf('X-Env-To')) + 2));
  assert.equal(mail.subject, 'Undelivered Mail Returned to Sender');
  assert.equal(mail.from?.value[0]?.address, 'MAILER-DAEMON@petrel.test');
  assert.equal(mail.to && !Array.isArray(mail.to) ? mail.to.value[0]?.address : undefined, 'sender@example.test');
  const ct = mail.headers.get('content-type') as { value: string; params: Record<string, string> };
  assert.equal(ct.value, 'multipart/report');
  assert.equal(ct.params['report-type'], 'delivery-status');
  assert.match(mail.text ?? '', /<hard1@example\.test> \(host mx1\.example\.test\): 550 5\.1\.1/);
  // mailparser shows message/delivery-status inline, after the human part, in mail.text.
  assert.match(raw.toString(), /\r\nContent-Type: message\/delivery-status\r\n/);
  const text = mail.text ?? '';
  const statusText = text.slice(text.indexOf('Reporting-MTA:')).replace(/\n[ \t]+/g, ' ');
  const fields = statusText.split(/\n\n/).map((block) =>
    Object.fromEntries(
      block
        .split('\n')
        .filter(Boolean)
        .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]),
    ),
  );
  assert.equal(fields[0]!['Reporting-MTA'], 'dns; petrel.test');
  assert.equal(fields[0]!['Original-Envelope-Id'], 'ENV-7');
  assert.match(fields[0]!['Arrival-Date']!, /^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
  assert.deepEqual(
    { ...fields[1], 'Last-Attempt-Date': 'x' },
    {
      'Original-Recipient': 'rfc822;hard1@example.test',
      'Final-Recipient': 'rfc822;hard1@example.test',
      Action: 'failed',
      Status: '5.1.1',
      'Remote-MTA': 'dns; mx1.example.test',
      'Diagnostic-Code': 'smtp; 550 5.1.1 <hard1@example.test>: user unknown',
      'Last-Attempt-Date': 'x',
    },
  );
  assert.equal(
    fields.filter((f) => Object.keys(f).length > 0).length,
    2,
    'one recipient block: NOTIFY=NEVER is left out',
  );
  const headers = mail.attachments.find((a) => a.contentType === 'text/rfc822-headers');
  assert.ok(headers, 'RET=HDRS: the original headers');
  assert.match(headers.content.toString(), /Message-ID: <orig-1@example\.test>/);
  assert.doesNotMatch(raw.toString(), /the body that RET=HDRS keeps out/);
});
