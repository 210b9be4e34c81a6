import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_REPLY_TEXT, normalizeReply } from './reply-text.js';

const n = (s: string): string => normalizeReply(s).text;

test('a multi-line reply is joined: continuation codes and repeated enhanced codes dropped (RFC 5321 §4.2.1)', () => {
  assert.equal(
    n(
      '550-5.1.1 The email account that you tried to reach does not exist. Please try\n550-5.1.1 double-checking the address.\n550 5.1.1  https://support.google.com/mail/?p=NoSuchUser - gsmtp',
    ),
    '550 5.1.1 The email account that you tried to reach does not exist. Please try double-checking the address. https://support.google.com/mail/?p=NoSuchUser - gsmtp',
  );
  assert.equal(
    n('554-mx.example.com\r\n554 Your message has been rejected'),
    '554 mx.example.com Your message has been rejected',
  );
});

test('DSN Diagnostic-Code types and folded lines (RFC 3464 §2.3.6), Postfix "said:" and its trailer are removed', () => {
  assert.equal(n('Diagnostic-Code: smtp; 550 5.1.1 <x@y>: user unknown'), '550 5.1.1 <x@y>: user unknown');
  assert.equal(
    n('SMTP;550 Requested action not taken: mailbox unavailable'),
    '550 Requested action not taken: mailbox unavailable',
  );
  assert.equal(
    n(
      'Diagnostic-Code: X-Postfix; host mx.example.com[192.0.2.20] said: 552 5.2.2\n    Over quota (in reply to RCPT TO command)',
    ),
    '552 5.2.2 Over quota',
  );
  assert.equal(n('X-Postfix; unknown user: "jane"'), 'unknown user: "jane"');
  assert.deepEqual(normalizeReply('Status: 5.1.1\nAction: failed\nDiagnostic-Code: smtp; 550 Unknown address'), {
    text: '550 5.1.1 Unknown address',
    code: 550,
    enhanced: '5.1.1',
  });
});

test('MTA bounce texts: Exim, Exchange, qmail and Sendmail wrappers around the remote reply', () => {
  assert.equal(
    n(
      'SMTP error from remote mail server after RCPT TO:<x@y>:\n    host mx.example.com [192.0.2.20]: 550 5.1.1 <x@y>: Recipient address rejected',
    ),
    '550 5.1.1 <x@y>: Recipient address rejected',
  );
  assert.equal(
    n("Remote Server returned '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found'"),
    '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found',
  );
  assert.equal(n('Remote host said: 552 5.2.2 Mailbox full [RCPT_TO]'), '552 5.2.2 Mailbox full [RCPT_TO]');
  assert.equal(n('<x@y>\n    (reason: 550 5.1.1 <x@y>... User unknown)'), '550 5.1.1 <x@y>... User unknown');
});

test('an enhanced code alone gets the basic code of its class; a qmail "(#5.x.x)" code is used when no other', () => {
  assert.equal(n('5.1.1 Mailbox does not exist'), '550 5.1.1 Mailbox does not exist');
  assert.equal(n('smtp; 4.4.7 Message expired'), '450 4.4.7 Message expired');
  assert.equal(
    n('553 sorry, no mailbox here by that name. (#5.7.1)'),
    '553 5.7.1 sorry, no mailbox here by that name. (#5.7.1)',
  );
  assert.equal(
    n('Sorry, no mailbox here by that name. (#5.1.1)'),
    '550 5.1.1 Sorry, no mailbox here by that name. (#5.1.1)',
  );
});

test('texts without a reply code stay as they are, and numbers in them are no reply code', () => {
  assert.deepEqual(normalizeReply('I am out of the office'), { text: 'I am out of the office' });
  assert.equal(n('retry in 450 seconds'), 'retry in 450 seconds');
  assert.equal(n(''), '');
});

test('a Postfix bounce quoting a multi-line Gmail reply, and an Exchange NDR line, reduce to the reply', () => {
  assert.equal(
    n(
      '<jane@gmail.com>: host gmail-smtp-in.l.google.com[192.0.2.1] said:\n' +
        '    550-5.1.1 The email account that you tried to reach does not exist. Please\n' +
        '    try double-checking the address. Learn more at\n' +
        '    550 5.1.1  https://support.google.com/mail/?p=NoSuchUser x1si2 - gsmtp (in\n' +
        '    reply to RCPT TO command)',
    ),
    '550 5.1.1 The email account that you tried to reach does not exist. Please try double-checking the address. Learn more at https://support.google.com/mail/?p=NoSuchUser x1si2 - gsmtp',
  );
  assert.equal(
    n('#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##'),
    '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##',
  );
});

test('a huge text is classified quickly: it is cut to MAX_REPLY_TEXT characters', () => {
  const started = Date.now();
  const text = n(`550 ${'x'.repeat(200_000)}`);
  assert.equal(text.length, '550 '.length + MAX_REPLY_TEXT);
  assert.ok(Date.now() - started < 1000);
});

test('a multi-line reply in a Diagnostic-Code keeps its continuation lines even when they are not folded', () => {
  const dsn = [
    'Final-Recipient: rfc822; jane@example.com',
    'Action: failed',
    'Status: 5.7.1',
    'Diagnostic-Code: smtp; 550-5.7.1 [192.0.2.1] Our system has detected that',
    '550-5.7.1 this message is likely unsolicited mail.',
    '550 5.7.1 This message has been blocked.',
    '',
    'Final-Recipient: rfc822; joe@example.com',
    'Diagnostic-Code: smtp; 550 5.1.1 user unknown',
  ].join('\n');
  assert.equal(
    n(dsn),
    '550 5.7.1 [192.0.2.1] Our system has detected that this message is likely unsolicited mail. This message has been blocked.',
  );
  // a one-line diagnostic takes no unfolded line after it, even one that looks like a reply
  assert.equal(n('Diagnostic-Code: smtp; 550 5.1.1 user unknown\n550 5.7.1 spam'), '550 5.1.1 user unknown');
});

test("Exim's bounce text: the reply after 'SMTP error from remote mail server after <command>:', host line above", () => {
  const rcpt = [
    'host mx.example.net [192.0.2.7]',
    'SMTP error from remote mail server after RCPT TO:<jane@example.net>:',
    '550-Your message was rejected.',
    '550-Reason: no reverse DNS for IP=[203.0.113.2]',
    '550 ref 7d39d529-9584',
  ].join('\n');
  assert.equal(n(rcpt), '550 Your message was rejected. Reason: no reverse DNS for IP=[203.0.113.2] ref 7d39d529-9584');
  assert.equal(
    n('host mx.example.net [192.0.2.7]\nSMTP error from remote mail server after EHLO mail.example.org:\n550 Rejected'),
    '550 Rejected',
  );
  assert.equal(
    n('Delay reason: SMTP error from remote mail server after MAIL FROM:<a@example.org> SIZE=1024:\n450 slow down'),
    '450 slow down',
  );
  assert.equal(
    n('SMTP error from remote mail server after end of data:\n554 rejected as spam'),
    '554 rejected as spam',
  );
  // a code inside the text stays when the reply is not a multi-line one
  assert.equal(n('550 message of 550 lines refused'), '550 message of 550 lines refused');
});

const pick = (r: { code?: number; enhanced?: string }) => ({ code: r.code, enhanced: r.enhanced });

test("Sendmail's bounce: a reason without enhanced code takes it from the same reply in the session transcript", () => {
  const bounce = [
    '<john@example.org>',
    '    (reason: 550 Host unknown)',
    '',
    '   ----- Transcript of session follows -----',
    '550 5.1.2 <john@example.org>... Host unknown (Name server: example.org: host not found)',
  ].join('\n');
  assert.deepEqual(pick(normalizeReply(bounce)), { code: 550, enhanced: '5.1.2' });
  // a transcript line of another reply code is not this reply's
  const other = normalizeReply('(reason: 550 Host unknown)\n----- Transcript -----\n450 4.4.3 try later');
  assert.deepEqual(pick(other), { code: 550, enhanced: undefined });
});

test('a Diagnostic-Code whose long lines a copy wrapped without folding whitespace keeps them, up to the next field', () => {
  assert.equal(
    n(
      'Diagnostic-Code: X-Postfix; delivery temporarily suspended: connect to\nmx.example.net[192.0.2.26]:25: Connection timed out\nStatus: 4.4.1',
    ),
    '450 4.4.1 delivery temporarily suspended: connect to mx.example.net[192.0.2.26]:25: Connection timed out',
  );
  assert.equal(
    n(
      'Diagnostic-Code: smtp; 550-Verification failed for <jane@example.com>\n550-The server does not know jane@example.com as a valid\nsender. 550 Sender verify failed\n\nbody',
    ),
    '550 Verification failed for <jane@example.com> The server does not know jane@example.com as a valid sender. 550 Sender verify failed',
  );
  assert.equal(n('Diagnostic-Code: smtp; 550 5.1.1 unknown\n--boundary\ntext'), '550 5.1.1 unknown');
});

/** Each raw reply normalizes to its text. */
const normalizes = (cases: readonly (readonly [string, string])[]): void => {
  for (const [raw, want] of cases) assert.equal(n(raw), want, raw);
};

test("a log's quotes around the text after the code are dropped: \"450-'4.7.25 Client host rejected …'\"", () => {
  normalizes([
    [
      "[Default] 450-'4.7.25 Client host rejected: cannot find your hostname, [192.0.2.50]'",
      '450 4.7.25 Client host rejected: cannot find your hostname, [192.0.2.50]',
    ],
    ["550 'hello there'", "550 'hello there'"],
  ]);
});

test("client libraries' wrappers are cut: 'error: 550', Symfony's 'with message', Python's tuples, .NET's and Gmail's 'was:', Java's exceptions", () => {
  normalizes([
    ['Permanent SMTP delivery error: 550 Loop detected', '550 Loop detected'],
    [
      'Expected response code 250 but got code "552", with message "552 message line is too long "',
      '552 message line is too long "',
    ],
    [
      "邮件发送失败 (550, b'The mail may contain inappropriate words or content.')",
      '550 The mail may contain inappropriate words or content.',
    ],
    [
      "SMTPRecipientsRefused: {u'admin@example.com': (501, '5.1.5 Recipient address reserved by RFC 2606')}",
      '501 5.1.5 Recipient address reserved by RFC 2606',
    ],
    ['Service not available. The server response was: 421 4.7.0 Try again later', '421 4.7.0 Try again later'],
    [
      'jakarta.mail.SendFailedException: Invalid Addresses;\n  nested exception is:\n  SMTPAddressFailedException: 550 I cannot deliver mail for <jane@example.com>',
      '550 I cannot deliver mail for <jane@example.com>',
    ],
    ['The error that the other server returned was:\n550 Unrouteable address', '550 Unrouteable address'],
  ]);
});

test('the command a bounce text names as the one the reply answered is kept as its stage', () => {
  const stage = (s: string) => normalizeReply(s).stage;
  assert.equal(
    stage(
      'host mx.example.org[192.0.2.1] said: 553 5.1.0 <a@example.com>: does not exist (in reply to MAIL FROM command)',
    ),
    'mail',
  );
  assert.equal(
    stage('host mx.example.org[192.0.2.1] said: 550 5.1.1 unknown (in reply to RCPT\n    TO command)'),
    'rcpt',
  );
  assert.equal(stage('host mx.example.org[192.0.2.1] said: 554 5.7.1 spam (in reply to end of DATA command)'), 'data');
  assert.equal(
    stage('host mx.example.org[192.0.2.1] said: 554 5.7.1 spam (in\n    reply to end of DATA command)'),
    'data',
  );
  assert.equal(
    stage('SMTP error from remote mail server after MAIL FROM:<a@example.com> SIZE=2048: 553 no such domain'),
    'mail',
  );
  assert.equal(stage('SMTP error from remote mail server after RCPT TO:<b@example.org>: 550 unknown'), 'rcpt');
  assert.equal(stage('SMTP error from remote mailer after EHLO mx.example.com: 550 go away'), 'helo');
  assert.equal(stage('Connected to 192.0.2.1 but sender was rejected.\nRemote host said: 553 sorry'), 'mail');
  assert.equal(stage('Connected to 192.0.2.1 but my name was rejected.\nRemote host said: 550 bad helo'), 'helo');
  assert.equal(stage('550 5.1.1 <b@example.org>: Recipient address rejected: User unknown'), undefined);
});

test("a local mailer's own message in a Sendmail transcript joins the reply Sendmail made of its exit status", () => {
  const bounce = (note: string): string =>
    [
      '<jane@example.org>',
      '    (reason: Insufficient permission)',
      '',
      '   ----- Transcript of session follows -----',
      note,
      '550 5.0.0 <jane@example.org>... Insufficient permission',
    ].join('\n');
  assert.equal(
    n(bounce('procmail: Quota exceeded while writing "/var/mail/jane"')),
    '550 5.0.0 <jane@example.org>... Insufficient permission procmail: Quota exceeded while writing "/var/mail/jane"',
  );
  // a DSN field after the transcript, a transcript's dialogue and a bounce without one add nothing
  assert.equal(
    n(bounce('Reporting-MTA: dns; mx.example.org')),
    '550 5.0.0 <jane@example.org>... Insufficient permission',
  );
  assert.equal(
    n(bounce('... while talking to mx.example.org.:')),
    '550 5.0.0 <jane@example.org>... Insufficient permission',
  );
  assert.equal(n('550 5.1.1 <jane@example.org>... User unknown'), '550 5.1.1 <jane@example.org>... User unknown');
});

test("a reply with a precise enhanced code keeps its own cause beside a mailer's note in the transcript", () => {
  const transcript = (reply: string): string =>
    `   ----- Transcript of session follows -----\nprocmail: Quota exceeded while writing\n${reply}`;
  assert.equal(
    n(transcript('550 5.1.1 <jane@example.org>... User unknown')),
    '550 5.1.1 <jane@example.org>... User unknown',
  );
  assert.equal(
    n(transcript('550 5.0.0 <jane@example.org>... Insufficient permission')),
    '550 5.0.0 <jane@example.org>... Insufficient permission procmail: Quota exceeded while writing',
  );
});

test('a Sendmail "(reason: …)" is the reply, without the session transcript that follows it', () => {
  const bounce = [
    '<jane@example.net>',
    '    (reason: 550 5.1.1 <jane@example.net>... User unknown)',
    '',
    '   ----- Transcript of session follows -----',
    '... while talking to mail.example.net.:',
    '>>> DATA',
    '<<< 550 5.1.1 <jane@example.net>... User unknown',
    '550 5.1.1 <jane@example.net>... User unknown',
    '<<< 503 5.0.0 Need RCPT (recipient)',
  ].join('\n');
  assert.equal(n(bounce), '550 5.1.1 <jane@example.net>... User unknown');
  // a reason with a parenthesis of its own keeps it
  assert.equal(
    n('<jane@example.net>\n    (reason: 550 5.1.2 Host unknown (Name server: example.net: host not found))'),
    '550 5.1.2 Host unknown (Name server: example.net: host not found)',
  );
});
