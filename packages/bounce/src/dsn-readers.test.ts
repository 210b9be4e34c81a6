/**
 * Petrel's DSNs as the tools that read bounces see them: Sisimai (Debian libsisimai-perl), the
 * analyser senders run over their bounce mailboxes, and flufl.bounce (Debian python3-flufl.bounce),
 * Mailman's detector. A DSN is only useful if such readers find the failed recipient, its status
 * and its reply; both are independent of Petrel (test/peers/install.sh installs them). Petrel's
 * own inbound parser must read them too (a Petrel relaying to a Petrel gets them back).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SmtpReply } from '@petrel/core';
import { renderDsn, type DsnInput, type DsnRecipient } from './dsn.js';
import { Classifier } from './classifier.js';
import { parseInboundReport } from './inbound/report.js';

const T = Date.UTC(2026, 0, 2, 3, 4, 5);
const original = Buffer.from(
  'Received: from client.origin.test by petrel.test\r\nFrom: alice@origin.test\r\nTo: jane@example.test\r\n' +
    'Subject: hello\r\nMessage-ID: <o1@origin.test>\r\n\r\nbody line\r\n',
);

const failed = (address: string, reply: string): DsnRecipient => ({
  address,
  action: 'failed',
  reply: SmtpReply.parse(reply),
  remoteMta: 'mx1.example.test',
  lastAttemptAt: T,
});

function dsn(recipients: DsnRecipient[]): Buffer {
  const input: DsnInput = {
    reportingMta: 'petrel.test',
    from: 'MAILER-DAEMON@petrel.test',
    to: 'alice@origin.test',
    originalId: 'M1',
    arrivalDate: T - 60_000,
    recipients,
    original,
    include: 'headers',
    date: T,
    boundary: 'BOUNDARY',
    messageId: 'dsn1@petrel.test',
  };
  return renderDsn(input);
}

interface SisimaiView {
  readonly recipient: string;
  readonly reason: string;
  readonly status: string;
  readonly reply: string;
  readonly action: string;
  readonly diagnostic: string;
}

/** Sisimai's reading of one message (as the one message of an mbox). */
function sisimai(message: Buffer): SisimaiView[] {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-sisimai-'));
  try {
    const file = join(dir, 'mbox');
    writeFileSync(file, Buffer.concat([Buffer.from('From MAILER-DAEMON Fri Jan  2 03:04:05 2026\n'), message]));
    const script = `
use strict; use warnings; use Sisimai; use JSON::PP;
my $v = Sisimai->make($ARGV[0], 'delivered' => 1) || [];
print JSON::PP->new->canonical->encode([ map { {
  recipient => lc($_->recipient->address), reason => $_->reason, status => $_->deliverystatus,
  reply => $_->replycode, action => $_->action, diagnostic => $_->diagnosticcode } } @$v ]);
`;
    return JSON.parse(execFileSync('perl', ['-e', script, file], { encoding: 'utf8' })) as SisimaiView[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** flufl.bounce's reading: the temporary and the permanent failures it finds. */
function flufl(message: Buffer): { temporary: string[]; permanent: string[] } {
  const script = `
import json, sys, warnings
warnings.filterwarnings('ignore')
from email import message_from_bytes
from flufl.bounce import all_failures
t, p = all_failures(message_from_bytes(sys.stdin.buffer.read()))
d = lambda s: sorted((x.decode() if isinstance(x, bytes) else x).lower() for x in s)
print(json.dumps({'temporary': d(t), 'permanent': d(p)}))
`;
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', script], { input: message, encoding: 'utf8' })) as {
    temporary: string[];
    permanent: string[];
  };
}

test('Sisimai reads each failed recipient of a Petrel DSN with its status, reply and reason', () => {
  const message = dsn([
    failed('jane@example.test', '550 5.1.1 <jane@example.test>: Recipient address rejected: User unknown'),
    failed('full@example.test', '552 5.2.2 Mailbox full'),
    failed('big@example.test', '552 5.3.4 Message size exceeds fixed limit'),
  ]);
  const seen = sisimai(message).map((v) => [v.recipient, v.action, v.status, v.reply, v.reason]);
  assert.deepEqual(seen.sort(), [
    ['big@example.test', 'failed', '5.3.4', '552', 'mesgtoobig'],
    ['full@example.test', 'failed', '5.2.2', '552', 'mailboxfull'],
    ['jane@example.test', 'failed', '5.1.1', '550', 'userunknown'],
  ]);
  assert.match(sisimai(message).find((v) => v.recipient === 'jane@example.test')!.diagnostic, /User unknown/);
});

test('Sisimai reads a delay DSN as delayed, not as a failure', () => {
  const message = dsn([
    {
      address: 'slow@example.test',
      action: 'delayed',
      reply: SmtpReply.parse('451 4.7.1 Greylisted, try again later'),
      remoteMta: 'mx1.example.test',
      lastAttemptAt: T,
      willRetryUntil: T + 4 * 86_400_000,
    },
  ]);
  const seen = sisimai(message);
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.recipient, 'slow@example.test');
  assert.equal(seen[0]!.action, 'delayed');
  assert.equal(seen[0]!.status, '4.7.1');
});

test('flufl.bounce finds the permanent failures of a failure DSN and the temporary one of a delay DSN', () => {
  const failure = dsn([
    failed('jane@example.test', '550 5.1.1 user unknown'),
    failed('joe@example.test', '550 5.2.1 mailbox disabled'),
  ]);
  assert.deepEqual(flufl(failure), { temporary: [], permanent: ['jane@example.test', 'joe@example.test'] });
  const delay = dsn([
    {
      address: 'slow@example.test',
      action: 'delayed',
      reply: SmtpReply.parse('451 4.3.0 try later'),
      remoteMta: 'mx1.example.test',
      lastAttemptAt: T,
    },
  ]);
  assert.deepEqual(flufl(delay), { temporary: ['slow@example.test'], permanent: [] });
});

test("Petrel's own inbound parser reads its DSNs back: recipient, action, reply and class", () => {
  const message = dsn([
    failed('jane@example.test', '550 5.1.1 <jane@example.test>: Recipient address rejected: User unknown'),
    failed('full@example.test', '552 5.2.2 Mailbox full'),
  ]);
  const classifier = Classifier.load();
  const r = parseInboundReport(message, {
    envelopeRecipients: ['alice@origin.test'],
    returnPathDomains: new Set(['origin.test']),
    verp: { prefix: 'b', secret: '' },
    hostname: 'petrel.test',
    classify: (reply, domain, stage) => classifier.classify(reply, domain, stage),
  });
  assert.equal(r.kind, 'bounce');
  assert.equal(r.format, 'rfc3464');
  assert.deepEqual(
    r.recipients.map((x) => [x.address, x.action, x.reply.code, x.reply.enhanced, x.bounceClass]),
    [
      ['jane@example.test', 'failed', 550, '5.1.1', 10],
      ['full@example.test', 'failed', 552, '5.2.2', 22],
    ],
  );
});
