/**
 * Where a report's reason comes from when it is not a clean SMTP reply: DSN blocks without a
 * Diagnostic-Code (or with a non-SMTP one), Status fields that hold a reply, non-standard Action
 * values, and text bounces whose reason stands before the address or among boilerplate lines.
 * The layouts are those of real MTAs (OpenSMTPD, X.400 gateways, SMTP32, Netscape Messaging
 * Server, old Gmail), written anew with example addresses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseInboundReport, type ReportContext } from './report.js';
import { Classifier } from '../classifier.js';
import { verpAddress } from '@petrel/core';

const ID = '01JEXAMPLE0000000000000000';

const classifier = Classifier.load();
const ctx: ReportContext = {
  envelopeRecipients: ['bounces@rp.example'],
  returnPathDomains: new Set(['rp.example']),
  verp: { prefix: 'b', secret: '' },
  hostname: 'petrel.example',
  classify: (r, d, s) => classifier.classify(r, d, s),
};
const crlf = (s: string): Buffer => Buffer.from(s.replace(/\r?\n/g, '\r\n'));
const read = (s: string) =>
  parseInboundReport(crlf(s), ctx).recipients.map((r) => ({
    address: r.address,
    action: r.action,
    code: r.reply.code,
    text: r.reply.lines.join(' '),
    bounceClass: r.bounceClass,
  }));

const report = (human: string, status: string): string => `From: MAILER-DAEMON@mx.example.net
To: bounces@rp.example
Subject: Delivery status notification
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

--b1
Content-Type: text/plain; charset=us-ascii

${human}
--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

${status}
--b1
Content-Type: text/rfc822-headers

From: news@sender.example
To: jane@example.org
--b1--
`;

test('a DSN block with only a Status takes its reason from the human part (OpenSMTPD)', () => {
  const r = read(
    report(
      `    Hi!

    This is the MAILER-DAEMON, please DO NOT REPLY to this email.

    An error has occurred while attempting to deliver a message for
    the following list of recipients:

jane@example.org: Domain does not exist

    Below is a copy of the original message:`,
      `Final-Recipient: rfc822; jane@example.org
Action: error
Status: 5.0.0`,
    ),
  );
  // "error" is OpenSMTPD's word for RFC 3464's "failed"; the reason is the human part's.
  assert.deepEqual(r, [
    { address: 'jane@example.org', action: 'failed', code: 550, text: 'Domain does not exist', bounceClass: 21 },
  ]);
});

test('a Status field holding an SMTP reply is that reply; "failure" is a failed action', () => {
  const r = read(
    report(
      `Your message was not delivered to\n\n    jane@example.org\n\nThis mail message has exceeded the maximum incoming message size.`,
      `Final-Recipient: rfc822;jane@example.org
Action: failure
Status: 553 Exceeded maximum inbound message size`,
    ),
  );
  assert.deepEqual(r, [
    {
      address: 'jane@example.org',
      action: 'failed',
      code: 553,
      text: 'Exceeded maximum inbound message size',
      bounceClass: 23,
    },
  ]);
});

test('an X.400 diagnostic gives way to the SMTP reply the human part quotes for the recipient', () => {
  const r = read(
    report(
      `Your message was not delivered to:
        jane@example.org
for the following reason:
        Diagnostic was Unable to transfer, -1
        Information MTA '192.0.2.9' gives error message 5.7.1 Unable to relay for jane@example.org`,
      `Original-Recipient: rfc822; jane@example.org
Final-Recipient: x400; /RFC-822=jane(a)example.org/ADMD= /C=WW/
Action: failed
Diagnostic-Code: Reason 1 (Unable-To-Transfer); Diagnostic -1 (Unknown)
Status: 5.0.0`,
    ),
  );
  assert.equal(r.length, 1);
  assert.equal(r[0]!.address, 'jane@example.org');
  assert.equal(r[0]!.bounceClass, 54, r[0]!.text);
});

test('a Diagnostic-Code that quotes the remote reply keeps it, whatever the human part says', () => {
  const r = read(
    report(
      `<jane@example.org>: something the human part says in other words`,
      `Final-Recipient: rfc822; jane@example.org
Action: failed
Status: 5.0.0
Diagnostic-Code: X-Postfix; host mx.example.org[192.0.2.5] said: 550 unknown user
    <jane@example.org> (in reply to RCPT TO command)`,
    ),
  );
  assert.equal(r[0]!.bounceClass, 10);
  assert.match(r[0]!.text, /said: 550 unknown user/);
});

const text = (body: string): string => `From: Mail Delivery Subsystem <MAILER-DAEMON@mail.example.net>
To: bounces@rp.example
Subject: Undeliverable mail

${body}
`;

test('a reason written before the address ("Delivery failed 20 attempts: x@y") is the reason', () => {
  const r = read(text('Delivery failed 20 attempts: jane@example.org\nOriginal message follows.\n\nSubject: hello'));
  assert.deepEqual(
    r.map((x) => [x.address, x.text]),
    [['jane@example.org', 'Delivery failed 20 attempts']],
  );
  // No reply code was given: the words are classified alone, not as a made-up 550 refusal (Block).
  assert.notEqual(classifier.classForId(r[0]!.bounceClass!)?.category, 'Block');
});

test('"Original message follows." ends the human part; the reason is the line under the address or the label before it', () => {
  const cases: [string, string, number][] = [
    ['jane@example.org\nInvalid final delivery userid', 'Invalid final delivery userid', 10],
    ['User mailbox exceeds allowed size: jane@example.org', 'User mailbox exceeds allowed size', 22],
  ];
  for (const [lines, reason, bounceClass] of cases) {
    const r = read(text(`${lines}\nOriginal message follows.\n\nTo: x@example.com`));
    assert.deepEqual(
      r.map((x) => [x.address, x.text, x.bounceClass]),
      [['jane@example.org', reason, bounceClass]],
    );
  }
});

test('rules, headings and courtesy lines are never the reason', () => {
  const r = read(
    text(`==========================================================
   This is an automatically generated Delivery Status Notification.

Delivery to the following recipients was aborted after 5.0 hour(s):

  * jane@example.org

==========================================================
                    Technical details:

Routing: Could not find a gateway for jane@example.org

==========================================================`),
  );
  assert.equal(r.length, 1);
  assert.equal(r[0]!.text, 'Routing: Could not find a gateway for jane@example.org');

  const courtesy = read(
    text(`The following recipients did not receive your message:

     <jane@example.org>

Your message was not delivered because the destination computer was
not reachable within the allowed queue period.

Please reply to Postmaster@mail.example.net
if you feel this message to be in error.`),
  );
  assert.equal(courtesy.length, 1);
  assert.match(courtesy[0]!.text, /^Your message was not delivered because .* allowed queue period\.$/);
  assert.equal(courtesy[0]!.bounceClass, 24, 'not reachable within the queue period: expired');
});

test('a notice that delivery attempts will continue is a delay (4xx, Soft), not a failure', () => {
  const r = read(
    text(`Your message with Subject: hello
could not be delivered to the following recipients:

jane@example.org

Please do not resend your original message.

Delivery attempts will continue to be made for 5 day(s).`),
  );
  assert.deepEqual(
    r.map((x) => [x.action, x.code, x.text]),
    [['delayed', 450, 'Delivery attempts will continue to be made for 5 day(s).']],
  );
  assert.equal(classifier.classForId(r[0]!.bounceClass!)?.category, 'Soft');
});

test('an address listed alone under an introducing sentence takes that sentence as its reason', () => {
  const r = read(
    text(
      'This is an automatically generated Delivery Status Notification\n\n' +
        'Delivery to the following recipient failed permanently:\n\n     jane@example.org\n\n' +
        '   ----- Original message -----\n\nTo: jane@example.org',
    ),
  );
  assert.deepEqual(
    r.map((x) => [x.address, x.action, x.text]),
    [['jane@example.org', 'failed', 'Delivery to the following recipient failed permanently']],
  );
});

test('a text bounce that names MAIL FROM as the command refused the sender (25), not the recipient', () => {
  const r = read(
    text(`This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  jane@example.org
    host mx.example.org [192.0.2.20]
    SMTP error from remote mail server after MAIL FROM:<news@sender.example> SIZE=1022:
    553 5.1.0 news sender.example does not exist

------ This is a copy of the message, including all the headers. ------

To: jane@example.org`),
  );
  assert.deepEqual(
    r.map((x) => [x.address, x.code, x.bounceClass]),
    [['jane@example.org', 553, 25]],
  );
});

// Exim 4.96's bounce (multipart/report): router failures carry only "Status: 5.0.0" in the fields
// and the reason in the human part; a remote refusal names its command only in the human part.
const exim = (human: string, fields: string): string =>
  report(
    `This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

${human}`,
    fields,
  );

test('Exim router failures: the reason of each recipient is its line in the human part', () => {
  const r = read(
    exim(
      '  jane@example.org\n    Unknown user\n  joe@example.org\n    Unrouteable address\n',
      `Action: failed
Final-Recipient: rfc822;joe@example.org
Status: 5.0.0

Action: failed
Final-Recipient: rfc822;jane@example.org
Status: 5.0.0`,
    ),
  );
  assert.deepEqual(
    r.map((x) => [x.address, x.action, x.text, x.bounceClass]),
    [
      ['joe@example.org', 'failed', 'Unrouteable address', 21],
      ['jane@example.org', 'failed', 'Unknown user', 10],
    ],
  );
});

test('Exim: a refusal of MAIL FROM, named only in the human part, refuses the sender (25)', () => {
  const r = read(
    exim(
      `  jane@example.org
    host mx.example.org [192.0.2.3]
    SMTP error from remote mail server after MAIL FROM:<news@sender.example> SIZE=1487:
    553 5.1.1 <news@sender.example>... User unknown
`,
      `Action: failed
Final-Recipient: rfc822;jane@example.org
Status: 5.0.0
Remote-MTA: dns; mx.example.org
Diagnostic-Code: smtp; 553 5.1.1 <news@sender.example>... User unknown`,
    ),
  );
  assert.deepEqual(
    r.map((x) => [x.address, x.code, x.bounceClass]),
    [['jane@example.org', 553, 25]],
  );
});

test('a bounce that names no address is about the recipient its verified VERP address names', () => {
  const vctx: ReportContext = {
    ...ctx,
    verp: { prefix: 'b', secret: 's3cret' },
    envelopeRecipients: [verpAddress({ prefix: 'b', secret: 's3cret' }, ID, 'list@groups.example.org', 'rp.example')],
  };
  const groups = crlf(`From: Mail Delivery Subsystem <mailer-daemon@groups.example.org>
To: bounces@rp.example
Subject: Delivery Status Notification (Failure)

Hello news@sender.example,

We're writing to let you know that the group you tried to contact (list) may not exist, or you may
not have permission to post messages to the group.

----- Original message -----

To: list@groups.example.org
`);
  const report = parseInboundReport(groups, vctx);
  assert.equal(report.tiedBy, 'verp');
  assert.deepEqual(
    report.recipients.map((x) => [x.address, x.action, x.bounceClass]),
    [['list@groups.example.org', 'failed', 10]],
  );
  // Without a verified VERP address nothing says which recipient it is about: kept unparsed.
  assert.equal(parseInboundReport(groups, ctx).kind, 'unparsed');
});

test("the original's To: and Cc: quoted in a bounce's summary are not failed recipients", () => {
  const r = read(
    text(`Your message

  To:      team@example.org
  Cc:      joe@example.org
  Subject: Minutes
  Sent:    Thu, 29 Apr 2010 09:00:00 -0400

did not reach the following recipient(s):

jane@example.org on Thu, 29 Apr 2010 09:00:05 -0400
    The recipient name is not recognized`),
  );
  assert.deepEqual(
    r.map((x) => [x.address, x.bounceClass]),
    [['jane@example.org', 10]],
  );
  const labelled = read(
    text(
      'Your Message\nTo:      <jane@example.org>\nSubject: hi\n\nDid not reach the following recipient: jane@example.org',
    ),
  );
  assert.deepEqual(
    labelled.map((x) => [x.address, x.action]),
    [['jane@example.org', 'failed']],
  );
});

test("an X.400 O/R address's SMTP attribute is the failed recipient (Exchange 5.5/2000, X.400 gateways)", () => {
  const ndr = (address: string): string =>
    text(`Your message

  To:      Jane Doe
  Subject: hello
  Sent:    Thu, 19 Sep 2002 17:20:11 +0900

did not reach the following recipient(s):

${address} on Thu, 19 Sep 2002 17:29:56 +0900
    The recipient name is not recognized
    MSEXCH:IMS:Example:Site:SERVER 0 (000C05A6) Unknown Recipient`);
  for (const address of [
    'c=US;a= ;p=Example;o=Exchange;dda:SMTP=jane@example.org;',
    'C=US;A= ;P=EXAMPLE;O=EUROPE;DDA:SMTP=jane(a)example.org;',
    'c=de;a=viaT;p=example;dda:RFC-822=jane(a)example.org;',
  ]) {
    assert.deepEqual(
      read(ndr(address)).map((x) => [x.address, x.bounceClass, x.text.startsWith('The recipient name')]),
      [['jane@example.org', 10, true]],
      address,
    );
  }
  // an attribute that is no SMTP address names nobody
  assert.deepEqual(read(ndr('c=US;a= ;p=Example;o=Exchange;dda:MS=EXAMPLE/SITE/JANE;')), []);
});

test("Exchange's failure time after a listed address is no reason: the lines under it are", () => {
  const r = read(
    text(`Your message did not reach some or all of the intended recipients.

      Subject:\thello
      Sent:\t9/19/2006 5:20 PM

The following recipient(s) could not be reached:

      jane@example.org on 9/19/2006 5:29 PM
            The e-mail account does not exist at the organization this message was sent to.
            <mx.example.net #5.1.1>`),
  );
  assert.equal(r.length, 1);
  assert.match(r[0]!.text, /^The e-mail account does not exist/);
  assert.equal(r[0]!.bounceClass, 10);
});

test('a DSN whose boundary parameter was not folded onto a new line is still read as a DSN (Office 365)', () => {
  const dsn = report(
    'Delivery has failed to these recipients or groups:\n\njane@example.org\nThe email address could not be found.',
    'Final-Recipient: rfc822; jane@example.org\nAction: failed\nStatus: 5.1.10\n' +
      'Diagnostic-Code: smtp; 550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup',
  ).replace('report-type=delivery-status; boundary="b1"', 'report-type=delivery-status;\nboundary="b1"');
  const r = parseInboundReport(crlf(dsn), ctx);
  assert.equal(r.format, 'rfc3464');
  assert.deepEqual(
    r.recipients.map((x) => [x.address, x.reply.code, x.bounceClass]),
    [['jane@example.org', 550, 10]],
  );
});

test("a recipient failed after a transient reply expired in that MTA's queue (24); a delay stays 70", () => {
  const block = (action: string, status: string, diag: string): string =>
    report(
      'I could not deliver your message.',
      `Final-Recipient: rfc822; jane@example.org\nAction: ${action}\nStatus: ${status}\nDiagnostic-Code: smtp; ${diag}`,
    );
  const classOf = (s: string) => read(s).map((x) => [x.action, x.bounceClass]);
  assert.deepEqual(classOf(block('failed', '4.3.0', '451 4.3.0 try later')), [['failed', 24]]);
  assert.deepEqual(classOf(block('delayed', '4.3.0', '451 4.3.0 try later')), [['delayed', 70]]);
  // a more precise Soft class says more than "expired"
  assert.deepEqual(classOf(block('failed', '4.2.2', '452 4.2.2 Mailbox full')), [['failed', 22]]);
  assert.deepEqual(classOf(block('failed', '5.1.1', '550 5.1.1 User unknown')), [['failed', 10]]);
});

test('an internationalized recipient (RFC 6531) is read whole: UTF-8 in a global DSN, \\x{HEX} in a utf-8 field, UTF-8 in a text bounce', () => {
  const dsn = (type: string, address: string): string =>
    report(
      'Delivery failed.',
      `Original-Recipient: ${type}; ${address}\nFinal-Recipient: ${type}; ${address}\nAction: failed\nStatus: 5.1.1\n` +
        'Diagnostic-Code: smtp; 550 5.1.1 User unknown',
    ).replace('Content-Type: message/delivery-status', 'Content-Type: message/global-delivery-status; charset=utf-8');
  const addresses = (s: string) => read(s).map((x) => [x.address, x.bounceClass]);
  assert.deepEqual(addresses(dsn('utf-8', 'jäne@exämple.org')), [['jäne@exämple.org', 10]]);
  assert.deepEqual(addresses(dsn('utf-8', 'j\\x{E4}ne@ex\\x{E4}mple.org')), [['jäne@exämple.org', 10]]);
  assert.deepEqual(addresses(dsn('utf-8', '用户@例子.测试')), [['用户@例子.测试', 10]]);
  // only a utf-8 field is decoded: in an rfc822 one "\x{E4}" is no escape
  assert.deepEqual(addresses(dsn('rfc822', 'jane@example.org')), [['jane@example.org', 10]]);
  assert.deepEqual(
    addresses(
      text(
        'This is the mail system at host mx.example.net.\n\n<jäne@exämple.org>: host mx said: 550 5.1.1 User unknown',
      ),
    ),
    [['jäne@exämple.org', 10]],
  );
});
