import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SmtpReply } from '@petrel/core';
import { addressField, dsnStatus, inlineFor, renderDsn, type DsnInput } from './dsn.js';

const T = Date.UTC(2026, 0, 2, 3, 4, 5);
const original = Buffer.from('Received: from x\r\nSubject: hello\r\nMessage-ID: <o1@origin.test>\r\n\r\nbody line\r\n');

function input(over: Partial<DsnInput> = {}): DsnInput {
  return {
    reportingMta: 'petrel.test',
    from: 'MAILER-DAEMON@petrel.test',
    to: 'alice@origin.test',
    originalId: 'M1',
    envid: 'ENV-42',
    arrivalDate: T - 60_000,
    recipients: [
      { address: 'hard1@example.test', orcpt: 'rfc822;Hard1@Example.test', action: 'failed', reply: SmtpReply.parse('550 5.1.1 <hard1@example.test>: user unknown'), remoteMta: 'mx1.example.test', lastAttemptAt: T },
      { address: 'hard2@example.test', action: 'failed', reply: SmtpReply.parse('550 no such user'), remoteMta: 'mx1.example.test', lastAttemptAt: T },
    ],
    original,
    include: 'headers',
    date: T,
    boundary: 'BOUNDARY',
    messageId: 'dsn1@petrel.test',
    ...over,
  };
}

test('a failure DSN is multipart/report with the RFC 3464 fields per recipient', () => {
  const s = renderDsn(input()).toString('utf8');
  assert.match(s, /^From: Mail Delivery System <MAILER-DAEMON@petrel\.test>\r\nTo: <alice@origin\.test>\r\nSubject: Undelivered Mail Returned to Sender\r\nDate: Fri, 02 Jan 2026 03:04:05 \+0000\r\n/);
  assert.match(s, /\r\nContent-Type: multipart\/report; report-type=delivery-status;\r\n\tboundary="BOUNDARY"\r\n/);
  const status = s.split('--BOUNDARY\r\n')[2]!;
  assert.equal(
    status.split('\r\n\r\n').slice(1, 5).join('\r\n\r\n'),
    [
      'Reporting-MTA: dns; petrel.test\r\nOriginal-Envelope-Id: ENV-42\r\nArrival-Date: Fri, 02 Jan 2026 03:03:05 +0000',
      'Original-Recipient: rfc822;Hard1@Example.test\r\nFinal-Recipient: rfc822;hard1@example.test\r\nAction: failed\r\nStatus: 5.1.1\r\nRemote-MTA: dns; mx1.example.test\r\nDiagnostic-Code: smtp; 550 5.1.1 <hard1@example.test>: user unknown\r\nLast-Attempt-Date: Fri, 02 Jan 2026 03:04:05 +0000',
      'Final-Recipient: rfc822;hard2@example.test\r\nAction: failed\r\nStatus: 5.0.0\r\nRemote-MTA: dns; mx1.example.test\r\nDiagnostic-Code: smtp; 550 no such user\r\nLast-Attempt-Date: Fri, 02 Jan 2026 03:04:05 +0000',
      '',
    ].join('\r\n\r\n'),
  );
  assert.ok(s.endsWith('--BOUNDARY--\r\n'));
});

test('RET=HDRS returns the header block only; RET=FULL the whole message; none returns nothing', () => {
  const hdrs = renderDsn(input({ include: inlineFor('HDRS', 'all') })).toString();
  assert.match(hdrs, /Content-Type: text\/rfc822-headers\r\nContent-Transfer-Encoding: 7bit\r\n\r\nReceived: from x\r\nSubject: hello\r\nMessage-ID: <o1@origin\.test>\r\n\r\n--BOUNDARY--/);
  assert.doesNotMatch(hdrs, /body line/);
  const full = renderDsn(input({ include: inlineFor('FULL', 'headers') })).toString();
  assert.match(full, /Content-Type: message\/rfc822\r\nContent-Transfer-Encoding: 7bit\r\n\r\nReceived: from x\r\n[^]*\r\n\r\nbody line\r\n\r\n--BOUNDARY--\r\n$/);
  const none = renderDsn(input({ include: inlineFor('FULL', 'none') })).toString();
  assert.doesNotMatch(none, /rfc822-headers|message\/rfc822|Subject: hello/);
  assert.equal(inlineFor(undefined, 'headers'), 'headers');
});

test('a delay DSN says delayed with class 4 and Will-Retry-Until', () => {
  const s = renderDsn(input({ recipients: [{ address: 'soft@example.test', action: 'delayed', reply: SmtpReply.parse('451 4.3.0 try later'), lastAttemptAt: T, willRetryUntil: T + 86_400_000 }] })).toString();
  assert.match(s, /Subject: Delayed Mail \(still being retried\)/);
  assert.match(s, /Action: delayed\r\nStatus: 4\.3\.0\r\nDiagnostic-Code: smtp; 451 4\.3\.0 try later\r\nLast-Attempt-Date: .*\r\nWill-Retry-Until: Sat, 03 Jan 2026 03:04:05 \+0000/);
});

test('a UTF-8 recipient uses the RFC 6533 utf-8 address type, keeping the status part 7-bit', () => {
  assert.equal(addressField('bob@example.test'), 'rfc822;bob@example.test');
  assert.equal(addressField('jösé+x@bücher.test'), 'utf-8;j\\x{F6}s\\x{E9}\\x{2B}x@b\\x{FC}cher.test');
  const s = renderDsn(input({ recipients: [{ address: 'jösé@example.test', action: 'failed', reply: SmtpReply.parse('550 5.1.1 unknown') }] })).toString('utf8');
  const status = s.split('--BOUNDARY\r\n')[2]!;
  assert.match(status, /Final-Recipient: utf-8;j\\x\{F6\}s\\x\{E9\}@example\.test/);
  assert.match(s.split('--BOUNDARY\r\n')[1]!, /Content-Transfer-Encoding: base64/, 'the human part names the address in UTF-8, so it is base64');
});

test('Status is class 5 for failed whatever the reply said, and long Diagnostic-Code lines are folded', () => {
  assert.equal(dsnStatus(SmtpReply.parse('451 4.4.1 no answer'), 'failed'), '5.4.1');
  assert.equal(dsnStatus(SmtpReply.parse('550 5.1.1 x'), 'delayed'), '4.1.1');
  const long = SmtpReply.parse(`550 5.7.1 ${'word '.repeat(40)}end`);
  const s = renderDsn(input({ recipients: [{ address: 'a@b.test', action: 'failed', reply: long }] })).toString();
  for (const line of s.split('\r\n')) assert.ok(line.length <= 78, line);
  assert.match(s, /Diagnostic-Code: smtp; 550 5\.7\.1 word[^\r]*\r\n word/);
});
