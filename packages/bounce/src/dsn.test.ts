import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SmtpReply } from '@petrel/core';
import { execFileSync } from 'node:child_process';
import { addressField, dsnStatus, globalAddressField, inlineFor, renderDsn, type DsnInput } from './dsn.js';

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
      {
        address: 'hard1@example.test',
        orcpt: 'rfc822;Hard1@Example.test',
        action: 'failed',
        reply: SmtpReply.parse('550 5.1.1 <hard1@example.test>: user unknown'),
        remoteMta: 'mx1.example.test',
        lastAttemptAt: T,
      },
      {
        address: 'hard2@example.test',
        action: 'failed',
        reply: SmtpReply.parse('550 no such user'),
        remoteMta: 'mx1.example.test',
        lastAttemptAt: T,
      },
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
  assert.match(
    s,
    /^From: Mail Delivery System <MAILER-DAEMON@petrel\.test>\r\nTo: <alice@origin\.test>\r\nSubject: Undelivered Mail Returned to Sender\r\nDate: Fri, 02 Jan 2026 03:04:05 \+0000\r\n/,
  );
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
  assert.match(
    hdrs,
    /Content-Type: text\/rfc822-headers\r\nContent-Transfer-Encoding: 7bit\r\n\r\nReceived: from x\r\nSubject: hello\r\nMessage-ID: <o1@origin\.test>\r\n\r\n--BOUNDARY--/,
  );
  assert.doesNotMatch(hdrs, /body line/);
  const full = renderDsn(input({ include: inlineFor('FULL', 'headers') })).toString();
  assert.match(
    full,
    /Content-Type: message\/rfc822\r\nContent-Transfer-Encoding: 7bit\r\n\r\nReceived: from x\r\n[\s\S]*\r\n\r\nbody line\r\n\r\n--BOUNDARY--\r\n$/,
  );
  const none = renderDsn(input({ include: inlineFor('FULL', 'none') })).toString();
  assert.doesNotMatch(none, /rfc822-headers|message\/rfc822|Subject: hello/);
  assert.equal(inlineFor(undefined, 'headers'), 'headers');
});

test('a delay DSN says delayed with class 4 and Will-Retry-Until', () => {
  const s = renderDsn(
    input({
      recipients: [
        {
          address: 'soft@example.test',
          action: 'delayed',
          reply: SmtpReply.parse('451 4.3.0 try later'),
          lastAttemptAt: T,
          willRetryUntil: T + 86_400_000,
        },
      ],
    }),
  ).toString();
  assert.match(s, /Subject: Delayed Mail \(still being retried\)/);
  assert.match(
    s,
    /Action: delayed\r\nStatus: 4\.3\.0\r\nDiagnostic-Code: smtp; 451 4\.3\.0 try later\r\nLast-Attempt-Date: .*\r\nWill-Retry-Until: Sat, 03 Jan 2026 03:04:05 \+0000/,
  );
});

test('a UTF-8 recipient uses the RFC 6533 utf-8 address type, in a message/global-delivery-status part (RFC 6533 §4)', () => {
  assert.equal(addressField('bob@example.test'), 'rfc822;bob@example.test');
  assert.equal(addressField('jösé+x@bücher.test'), 'utf-8;j\\x{F6}s\\x{E9}\\x{2B}x@b\\x{FC}cher.test');
  assert.equal(globalAddressField('jösé+x@bücher.test'), 'utf-8;jösé\\x{2B}x@bücher.test');
  const s = renderDsn(
    input({
      recipients: [{ address: 'jösé@example.test', action: 'failed', reply: SmtpReply.parse('550 5.1.1 unknown') }],
    }),
  ).toString('utf8');
  const status = s.split('--BOUNDARY\r\n')[2]!;
  assert.match(
    status,
    /^Content-Description: Delivery report\r\nContent-Type: message\/global-delivery-status\r\nContent-Transfer-Encoding: 8bit\r\n/,
  );
  assert.match(status, /Final-Recipient: utf-8;jösé@example\.test/);
  assert.match(s, /report-type=global-delivery-status;/, 'RFC 6522 §3: the subtype of the second part');
  assert.match(s, /\r\nContent-Transfer-Encoding: 8bit\r\n\r\nThis is a MIME/, 'RFC 2045 §6.4: 8bit at the top');
  assert.match(
    s.split('--BOUNDARY\r\n')[1]!,
    /Content-Transfer-Encoding: base64/,
    'the human part names the address in UTF-8, so it is base64',
  );
});

test('Status is class 5 for failed whatever the reply said, and long Diagnostic-Code lines are folded', () => {
  assert.equal(dsnStatus(SmtpReply.parse('451 4.4.1 no answer'), 'failed'), '5.4.1');
  assert.equal(dsnStatus(SmtpReply.parse('550 5.1.1 x'), 'delayed'), '4.1.1');
  const long = SmtpReply.parse(`550 5.7.1 ${'word '.repeat(40)}end`);
  const s = renderDsn(input({ recipients: [{ address: 'a@b.test', action: 'failed', reply: long }] })).toString();
  for (const line of s.split('\r\n')) assert.ok(line.length <= 78, line);
  assert.match(s, /Diagnostic-Code: smtp; 550 5\.7\.1 word[^\r]*\r\n word/);
});

/** What Python's email package (a real MIME parser) sees: top-level CTE, then each part's type and CTE. */
function pythonView(dsn: Buffer): { cte: string; parts: [string, string][]; defects: string[] } {
  const script = [
    'import sys, json, email, email.policy',
    'm = email.message_from_bytes(sys.stdin.buffer.read(), policy=email.policy.default)',
    'parts = [[p.get_content_type(), str(p.get("Content-Transfer-Encoding", ""))] for p in m.iter_parts()]',
    'defects = [type(d).__name__ for p in m.walk() for d in p.defects]',
    'print(json.dumps({"cte": str(m.get("Content-Transfer-Encoding")), "parts": parts, "defects": defects}))',
  ].join('\n');
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', script], { input: dsn }).toString()) as {
    cte: string;
    parts: [string, string][];
    defects: string[];
  };
}

const utf8Original = Buffer.from(
  'From: Jösé <jösé@bücher.test>\r\nTo: ünï@example.test\r\nSubject: grüße\r\nMessage-ID: <u1@bücher.test>\r\n\r\nbody ÿ\r\n',
  'utf8',
);

test('the headers of an SMTPUTF8 message come back as message/global-headers, the whole of it as message/global, and the DSN says 8bit (RFC 6533 §4, RFC 2045 §6.4)', () => {
  const hdrs = renderDsn(input({ original: utf8Original, include: 'headers' }));
  assert.deepEqual(pythonView(hdrs), {
    cte: '8bit',
    parts: [
      ['text/plain', '7bit'],
      ['message/delivery-status', ''],
      ['message/global-headers', '8bit'],
    ],
    defects: [],
  });
  assert.match(
    hdrs.toString('utf8'),
    /Content-Type: message\/global-headers\r\nContent-Transfer-Encoding: 8bit\r\n\r\nFrom: Jösé/,
  );
  const full = renderDsn(input({ original: utf8Original, include: 'all' }));
  assert.deepEqual(
    pythonView(full).parts.map((p) => p[0]),
    ['text/plain', 'message/delivery-status', 'message/global'],
  );
  assert.equal(pythonView(full).cte, '8bit');
  // 8-bit only in the body of an otherwise ASCII message: still message/rfc822, but 8bit throughout.
  const body8 = renderDsn(input({ original: Buffer.from('Subject: hi\r\n\r\nbody ÿ\r\n', 'utf8'), include: 'all' }));
  assert.deepEqual(pythonView(body8), {
    cte: '8bit',
    parts: [
      ['text/plain', '7bit'],
      ['message/delivery-status', ''],
      ['message/rfc822', '8bit'],
    ],
    defects: [],
  });
  // An all-ASCII DSN stays 7bit.
  assert.equal(pythonView(renderDsn(input())).cte, '7bit');
});
