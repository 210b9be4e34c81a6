import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseInboundReport, type ReportContext } from './report.js';
import { parseVerp, verpAddress } from '@petrel/core';
import { Classifier } from '../classifier.js';

const classifier = Classifier.load();
const verp = { prefix: 'b', secret: 's3cret' };
const ID = '01JEXAMPLE0000000000000000';
const RCPT = 'John.Doe+news@Example.com';
const VERP = verpAddress(verp, ID, RCPT, 'rp.example');
const ctx = (envelopeRecipients: string[] = [VERP]): ReportContext => ({
  envelopeRecipients,
  returnPathDomains: new Set(['rp.example']),
  verp,
  hostname: 'petrel.example',
  classify: (r, d, s) => classifier.classify(r, d, s),
});
const crlf = (s: string): Buffer => Buffer.from(s.replace(/\r?\n/g, '\r\n'));

test('a VERP address round-trips message id and recipient (dots, plus, case) and stays one dot-atom', () => {
  assert.match(VERP, /^b\+01JEXAMPLE0000000000000000\+[a-z2-7]{8}\+John_2EDoe_2Bnews=example_2Ecom@rp\.example$/);
  const back = parseVerp(verp, VERP, new Set(['rp.example']));
  assert.deepEqual(back, { messageId: ID, recipient: 'John.Doe+news@example.com', verified: true, signed: true });
  // An MTA that lower-cases the whole address does not break it.
  assert.equal(parseVerp(verp, VERP.toLowerCase(), new Set(['rp.example']))?.verified, true);
  // A forged tag or another recipient is not verified.
  const forged = VERP.replace(/\+[a-z2-7]{8}\+/, '+aaaaaaaa+');
  assert.equal(parseVerp(verp, forged, new Set(['rp.example']))?.verified, false);
  assert.equal(parseVerp(verp, 'someone@rp.example', new Set(['rp.example'])), undefined);
  assert.equal(parseVerp(verp, VERP, new Set(['other.example'])), undefined);
});

test('an RFC 3464 DSN (Postfix) gives per-recipient action, status, diagnostic and class, tied by VERP', () => {
  const raw = crlf(`Return-Path: <>
From: MAILER-DAEMON@mx.example.com (Mail Delivery System)
To: ${VERP}
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="8A1B2C3D.1700000000/mx.example.com"

--8A1B2C3D.1700000000/mx.example.com
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.com.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<john.doe+news@example.com>: unknown user: "john.doe+news"

--8A1B2C3D.1700000000/mx.example.com
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com
X-Postfix-Queue-ID: 8A1B2C3D
Arrival-Date: Sun,  6 Dec 2026 09:00:00 +0000 (UTC)

Final-Recipient: rfc822; john.doe+news@example.com
Original-Recipient: rfc822;John.Doe+news@Example.com
Action: failed
Status: 5.1.1
Diagnostic-Code: X-Postfix; unknown user: "john.doe+news"

--8A1B2C3D.1700000000/mx.example.com
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

Return-Path: <${VERP}>
Received: from petrel.example (petrel.example [192.0.2.1])
	by mx.example.com (Postfix) with ESMTP id 8A1B2C3D
Message-ID: <orig-1@sender.example>
Subject: news

--8A1B2C3D.1700000000/mx.example.com--
`);
  const r = parseInboundReport(raw, ctx());
  assert.equal(r.kind, 'bounce');
  assert.equal(r.format, 'rfc3464');
  assert.equal(r.messageId, ID);
  assert.equal(r.tiedBy, 'verp');
  assert.equal(r.originalMessageId, '<orig-1@sender.example>');
  assert.equal(r.recipients.length, 1);
  const x = r.recipients[0]!;
  assert.equal(x.address, 'John.Doe+news@example.com');
  assert.equal(x.action, 'failed');
  assert.equal(x.reply.enhanced, '5.1.1');
  assert.equal(x.bounceClass, 10);
});

test('a DSN with several recipients and no VERP names each recipient and ties by our Received id', () => {
  const raw = crlf(`From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example>
To: <bounces@rp.example>
Subject: Returned mail: see transcript for details
Content-Type: multipart/report; report-type="delivery-status"; boundary="BND"

--BND
Content-Type: text/plain

The original message was received at Sun, 6 Dec 2026.

--BND
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.example

Final-Recipient: RFC822; gone@example.org
Action: failed
Status: 5.1.1
Remote-MTA: DNS; mx.example.org
Diagnostic-Code: SMTP; 550-5.1.1 The email account that you tried to reach does
    not exist. Please try 550 5.1.1 double-checking the recipient's email address

Final-Recipient: RFC822; full@example.org
Action: delayed
Status: 4.2.2
Diagnostic-Code: SMTP; 452 4.2.2 Mailbox full

--BND
Content-Type: message/rfc822

Received: from client.example by petrel.example (Petrel) with ESMTP id 01JEXAMPLE0000000000000001;
	Sun, 6 Dec 2026 09:00:00 +0000
Message-ID: <m2@sender.example>
Subject: hi

body
--BND--
`);
  const r = parseInboundReport(raw, ctx(['bounces@rp.example']));
  assert.equal(r.kind, 'bounce');
  assert.equal(r.messageId, '01JEXAMPLE0000000000000001');
  assert.equal(r.tiedBy, 'received');
  assert.deepEqual(
    r.recipients.map((x) => [x.address, x.action, x.reply.code, x.reply.enhanced, x.remoteMta]),
    [
      ['gone@example.org', 'failed', 550, '5.1.1', 'mx.example.org'],
      ['full@example.org', 'delayed', 452, '4.2.2', undefined],
    ],
  );
  assert.equal(r.recipients[0]!.bounceClass, 10);
  assert.equal(r.recipients[1]!.bounceClass, 22);
});

test('qmail, Exim, Exchange and Postfix-without-DSN texts are read by their structure', () => {
  const qmail = crlf(`From: MAILER-DAEMON@mail.example.net
To: ${VERP}
Subject: failure notice

Hi. This is the qmail-send program at mail.example.net.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<john.doe+news@example.com>:
Sorry, no mailbox here by that name. (#5.1.1)

--- Below this line is a copy of the message.

Return-Path: <${VERP}>
To: someone.else@example.com
`);
  const q = parseInboundReport(qmail, ctx());
  assert.equal(q.kind, 'bounce');
  assert.equal(q.format, 'qmail');
  assert.deepEqual(
    q.recipients.map((x) => [x.address, x.reply.enhanced, x.bounceClass]),
    [['John.Doe+news@example.com', '5.1.1', 10]],
  );

  const exim = crlf(`From: Mail Delivery System <Mailer-Daemon@exim.example>
To: bounces@rp.example
Subject: Mail delivery failed: returning message to sender
Auto-Submitted: auto-replied

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  nobody@example.net
    host mx.example.net [198.51.100.7]
    SMTP error from remote mail server after RCPT TO:<nobody@example.net>:
    550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown

------ This is a copy of the message, including all the headers. ------

Received: from petrel.example by exim.example with esmtp
From: someone@sender.example
To: decoy@example.net
`);
  const e = parseInboundReport(exim, ctx(['bounces@rp.example']));
  assert.equal(e.kind, 'bounce', 'Auto-Submitted: auto-replied on a bounce does not make it an auto-reply');
  assert.equal(e.format, 'exim');
  assert.deepEqual(
    e.recipients.map((x) => [x.address, x.reply.code, x.reply.enhanced, x.bounceClass]),
    [['nobody@example.net', 550, '5.1.1', 10]],
  );

  const exchange = crlf(`From: Microsoft Outlook <postmaster@contoso.example>
To: bounces@rp.example
Subject: Undeliverable: Quarterly report
Content-Type: text/plain; charset="utf-8"

Delivery has failed to these recipients or groups:

jane@contoso.example
The email address you entered couldn't be found. Please check the recipient's email address and try to resend the message.

Diagnostic information for administrators:

Generating server: EX01.contoso.example

jane@contoso.example
Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'

Original message headers:

Received: from petrel.example (192.0.2.1) by EX01.contoso.example
To: <jane@contoso.example>
`);
  const x = parseInboundReport(exchange, ctx(['bounces@rp.example']));
  assert.equal(x.kind, 'bounce');
  assert.equal(x.format, 'exchange');
  assert.deepEqual(
    x.recipients.map((r) => [r.address, r.reply.code, r.reply.enhanced]),
    [['jane@contoso.example', 550, '5.1.10']],
  );

  const postfix = crlf(`From: MAILER-DAEMON@pf.example (Mail Delivery System)
To: bounces@rp.example
Subject: Undelivered Mail Returned to Sender

This is the mail system at host pf.example.

<full@pf.example>: host mx.pf.example[203.0.113.5] said: 552 5.2.2 Mailbox
    quota exceeded (in reply to RCPT TO command)
`);
  const p = parseInboundReport(postfix, ctx(['bounces@rp.example']));
  assert.equal(p.format, 'postfix');
  assert.deepEqual(
    p.recipients.map((r) => [r.address, r.reply.code, r.bounceClass]),
    [['full@pf.example', 552, 22]],
  );
});

test('Yahoo-style and old Exchange texts: a code with a colon, an indented address with a server line', () => {
  const yahoo = crlf(`From: MAILER-DAEMON@yahoo.example
To: bounces@rp.example
Subject: Failure Notice

Sorry, we were unable to deliver your message to the following address.

<nobody@yahoo.example>:
554: delivery error: dd This user doesn't have a yahoo.example account (nobody@yahoo.example) [0]

--- Below this line is a copy of the message.
`);
  const y = parseInboundReport(yahoo, ctx(['bounces@rp.example']));
  assert.deepEqual(
    y.recipients.map((r) => [r.address, r.reply.code, r.bounceClass]),
    [['nobody@yahoo.example', 554, 10]],
  );
  const old = crlf(`From: System Administrator <postmaster@corp.example>
To: bounces@rp.example
Subject: Undeliverable: offer

Your message did not reach some or all of the intended recipients.

      Subject:  offer
      Sent:     1/2/2026 10:00 AM

The following recipient(s) cannot be reached:

      ann@corp.example on 1/2/2026 10:00 AM
            The e-mail account does not exist at the organization this message was sent to.
            <mx.corp.example #5.1.1 smtp;550 5.1.1 User unknown>
`);
  const o = parseInboundReport(old, ctx(['bounces@rp.example']));
  assert.equal(o.format, 'exchange');
  assert.deepEqual(
    o.recipients.map((r) => [r.address, r.reply.code, r.reply.enhanced, r.bounceClass]),
    [['ann@corp.example', 550, '5.1.1', 10]],
  );
});

test('an RFC 5965 ARF report is feedback with its type, recipient and the original tied by headers', () => {
  const raw = crlf(`From: <abusedesk@isp.example>
Date: Thu, 8 Mar 2026 14:00:00 EDT
Subject: FW: Earn money
To: <fbl@rp.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report;
     boundary="part1_13d.2e68ed54_boundary"

--part1_13d.2e68ed54_boundary
Content-Type: text/plain; charset="US-ASCII"
Content-Transfer-Encoding: 7bit

This is an email abuse report for an email message received from IP
192.0.2.1 on Thu, 8 Mar 2026 14:00:00 EDT.

--part1_13d.2e68ed54_boundary
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: SomeGenerator/1.0
Version: 1
Original-Mail-From: <${VERP}>
Original-Rcpt-To: <user@isp.example>
Arrival-Date: Thu, 8 Mar 2026 14:00:00 EDT
Reporting-MTA: dns; mail.isp.example
Source-IP: 192.0.2.1

--part1_13d.2e68ed54_boundary
Content-Type: message/rfc822
Content-Disposition: inline

Return-Path: <${VERP}>
Received: from client.example by petrel.example (Petrel) with ESMTP id ${ID};
	Thu, 8 Mar 2026 13:59:00 +0000
From: <somespammer@sender.example>
Subject: Earn money
To: <Undisclosed Recipients>
Message-ID: <8787KJKJ3K4J3K4J3K4J3.mail@sender.example>

Spam Spam Spam
--part1_13d.2e68ed54_boundary--
`);
  const r = parseInboundReport(raw, ctx(['fbl@rp.example']));
  assert.equal(r.kind, 'feedback');
  assert.equal(r.feedback?.feedbackType, 'abuse');
  assert.equal(r.feedback?.sourceIp, '192.0.2.1');
  assert.equal(r.messageId, ID, 'tied by the VERP Return-Path of the returned original');
  assert.equal(r.tiedBy, 'verp');
  assert.deepEqual(
    r.recipients.map((x) => x.address),
    ['John.Doe+news@example.com'],
  );
  assert.equal(r.originalMessageId, '<8787KJKJ3K4J3K4J3K4J3.mail@sender.example>');
});

test('an ARF report naming several Original-Rcpt-To is one complaint per recipient when no VERP address narrows it', () => {
  const raw = crlf(`From: <fbl@isp.example>
Subject: Abuse report
To: <fbl@rp.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="b"

--b
Content-Type: text/plain

An abuse report.

--b
Content-Type: message/feedback-report

Feedback-Type: abuse
Version: 1
Original-Rcpt-To: <jane@isp.example>
Original-Rcpt-To: <joe@isp.example>
Original-Rcpt-To: <Jane@isp.example>

--b
Content-Type: text/rfc822-headers

From: news@sender.example
To: undisclosed-recipients:;
--b--
`);
  assert.deepEqual(
    parseInboundReport(raw, ctx(['fbl@rp.example'])).recipients.map((x) => [x.address, x.action]),
    [
      ['jane@isp.example', 'complained'],
      ['joe@isp.example', 'complained'],
    ],
  );
});

test("Microsoft JMRP's complaint (the reported message alone, its recipient in X-HmXmrOriginalRecipient) is feedback", () => {
  const raw = crlf(`From: staff@hotmail.com
Subject: complaint about message from 192.0.2.44
To: fbl@rp.example
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="jmrp"

--jmrp
Content-Type: message/rfc822
Content-Disposition: inline

X-HmXmrOriginalRecipient: <jane@outlook.example>
Return-Path: <${VERP}>
Received: from client.example by petrel.example (Petrel) with ESMTP id ${ID};
	Thu, 8 Mar 2026 13:59:00 +0000
From: News <news@sender.example>
To: jane@outlook.example
Subject: This week
Message-ID: <w1@sender.example>

Hello
--jmrp--
`);
  const r = parseInboundReport(raw, ctx(['fbl@rp.example']));
  assert.equal(r.kind, 'feedback');
  assert.equal(r.format, 'jmrp');
  assert.equal(r.feedback?.feedbackType, 'abuse');
  assert.equal(r.feedback?.sourceIp, '192.0.2.44');
  assert.equal(r.tiedBy, 'verp');
  assert.deepEqual(
    r.recipients.map((x) => [x.address, x.action]),
    [['John.Doe+news@example.com', 'complained']],
  );
  // Without the VERP tie, the recipient is the one Microsoft names.
  const untied = parseInboundReport(Buffer.from(raw.toString().replace(/^Return-Path: .*\r\n/m, '')), {
    ...ctx(['fbl@rp.example']),
    hostname: 'other.example',
  });
  assert.deepEqual(
    untied.recipients.map((x) => x.address),
    ['jane@outlook.example'],
  );
});

test('auto-replies by RFC 3834 header or a (non-English, encoded) subject are class 60', () => {
  const a = parseInboundReport(
    crlf(
      `From: john@example.com\nTo: ${VERP}\nSubject: Re: news\nAuto-Submitted: auto-replied (vacation)\n\nI am away.\n`,
    ),
    ctx(),
  );
  assert.equal(a.kind, 'auto_reply');
  assert.deepEqual(
    a.recipients.map((x) => [x.address, x.bounceClass, x.bounceClassName]),
    [['John.Doe+news@example.com', 60, 'Auto-Reply']],
  );
  const b = parseInboundReport(
    crlf(`From: max@example.de\nTo: ${VERP}\nSubject: =?UTF-8?Q?Abwesenheitsnotiz:_news?=\n\nBin weg.\n`),
    ctx(),
  );
  assert.equal(b.kind, 'auto_reply');
});

test('garbage is unparsed with a reason, never a throw', () => {
  const inputs = [
    Buffer.alloc(0),
    Buffer.from('\x00\xff\xfe garbage without headers'),
    crlf('Subject: hello\n\njust a letter to the bounce address\n'),
    crlf('Content-Type: multipart/report; boundary="x"\n\n--x\nContent-Type: message/delivery-status\n\n--x'),
    crlf('Content-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: multipart/mixed; boundary=a\n\n--a\n'),
    Buffer.from(`Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!${'A'.repeat(5000)}`),
  ];
  for (const raw of inputs) {
    const r = parseInboundReport(raw, ctx([]));
    assert.equal(r.kind, 'unparsed', raw.toString('latin1').slice(0, 40));
    assert.ok(r.reason && r.reason.length > 0);
  }
  // Random bytes and random MIME-ish text: no exception.
  let seed = 7;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const atoms = [
    'Content-Type: multipart/report; boundary=b\r\n',
    '--b\r\n',
    '\r\n',
    'Final-Recipient: rfc822; x@y\r\n',
    'Status: 5.1.1\r\n',
    'Content-Type: message/rfc822\r\n',
    'Action: failed\r\n',
    '=?utf-8?B?',
    '<a@b>',
    '550 ',
  ];
  for (let i = 0; i < 500; i++) {
    let s = '';
    for (let k = 0; k < 30; k++) s += atoms[Math.floor(rnd() * atoms.length)]!;
    parseInboundReport(Buffer.from(s), ctx());
  }
});
