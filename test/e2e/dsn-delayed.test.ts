import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simpleParser } from 'mailparser';
import { scenario } from '../lib/scenario.js';
import { type EventRecord, startScenarioPetrel } from '../lib/petrel.js';
import { submitWithSmtplib, startAio, waitFor } from '@petrel/testkit';

// Momentum's delay_dsn schedule with a 1 s base and the default 12 h cap: points at 1 s, 3 s, 7 s,
// 15 s after reception. Retrying every second, the first 8 s see ~8 deferrals but only 3 points.
const POINTS_MS = [1000, 3000, 7000, 15000];

test('generate_delay_dsn: while a 451 goes on, "delayed" DSNs (RFC 3464) go to NOTIFY=DELAY recipients on the delay_dsn_retry_interval schedule, not at every deferral', async (t) => {
  const s = await scenario(t);
  const mx = s.stopAfter(await startAio(s.dir, '127.0.0.2', s.mxPort));
  const petrel = await startScenarioPetrel(s, {
    global:
      'generate_delay_dsn = true\ndelay_dsn_retry_interval = "1s"\nretry_interval = "1s"\nmax_retry_interval = "1s"\nmessage_expiration = "2h"',
  });

  const id = await submitWithSmtplib(s.listenPort, {
    sender: 'sender@example.test',
    mailOptions: ['RET=HDRS'],
    recipients: [
      ['soft1@example.test', ['NOTIFY=DELAY,FAILURE']],
      ['soft2@example.test', ['NOTIFY=FAILURE']],
    ],
    message:
      'From: Sender <sender@example.test>\r\nTo: soft1@example.test\r\nSubject: will wait\r\nMessage-ID: <orig-delay@example.test>\r\n\r\nstill trying\r\n',
  });

  const deferrals = (e: EventRecord[]): EventRecord[] =>
    e.filter((x) => x.type === 'transient_failure' && x.message_id === id && x.recipient === 'soft1@example.test');
  const notices = (e: EventRecord[]): EventRecord[] => e.filter((x) => x.type === 'bounce' && x.message_id === id);
  // Three points (1 s, 3 s, 7 s) reported, and the deferral after the third one seen.
  const ev = await petrel.waitForEvents('three delay DSNs and a deferral after the last', (e) => {
    const n = notices(e);
    return n.length >= 3 && deferrals(e).some((d) => Date.parse(d.time as string) > Date.parse(n[2]!.time as string));
  });
  const received = Date.parse(ev.find((x) => x.type === 'reception' && x.message_id === id)!.time as string);
  const seen = deferrals(ev);
  const lastDeferral = Date.parse(seen[seen.length - 1]!.time as string) - received;
  const bounces = notices(ev);
  assert.ok(
    seen.length >= bounces.length + 2,
    `more deferrals (${seen.length}) than notices (${bounces.length}): not one per deferral`,
  );
  assert.ok(
    bounces.length <= POINTS_MS.filter((p) => p <= lastDeferral).length,
    `at most one notice per schedule point passed by ${lastDeferral} ms: ${bounces.length}`,
  );
  assert.deepEqual(
    bounces.map((b) => [b.recipient, b.action]),
    bounces.map(() => ['soft1@example.test', 'delayed']),
    'only the recipient that asked for NOTIFY=DELAY',
  );
  assert.ok(
    Date.parse(bounces[0]!.time as string) - received >= POINTS_MS[0]!,
    'no notice before the first point (not at the first deferral)',
  );
  assert.ok(
    !ev.some((x) => x.type === 'permanent_failure' && x.message_id === id),
    'the original is still being retried',
  );
  // RFC 3464 §2.3.6: the 451 came from the MX, so the record names it as the transient ones do.
  for (const b of bounces)
    assert.deepEqual(
      [b.remote_host, b.remote_ip],
      ['mx1.example.test', '127.0.0.2'],
      'bounce record names the MX that deferred',
    );

  const raw = await waitFor('the DSN at the MX', () => mx.messages().find((m) => m.includes('multipart/report')));
  assert.match(raw.toString().split('\r\n')[0]!, /^X-Env-From: <>( |$)/, 'null reverse-path (RFC 5321 §4.5.5)');
  const mail = await simpleParser(raw.subarray(raw.indexOf('\r\n', raw.indexOf('X-Env-To')) + 2));
  assert.equal(mail.subject, 'Delayed Mail (still being retried)');
  const text = (mail.text ?? '').replace(/\n[ \t]+/g, ' ');
  const status = text.slice(text.indexOf('Reporting-MTA:'));
  assert.match(status, /Final-Recipient: rfc822;soft1@example\.test/);
  assert.match(status, /Action: delayed/);
  assert.match(status, /Status: 4\.\d+\.\d+/, 'a delayed recipient gets a class 4 status (RFC 3463 §3.1)');
  assert.match(status, /Will-Retry-Until: \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000/);
  // The expiry the queue enforces (reception + message_expiration 2h), to the second (RFC 5322 dates).
  const until = Date.parse(/Will-Retry-Until: (.+)/.exec(status)![1]!.trim());
  assert.equal(until, Math.floor((received + 2 * 3600_000) / 1000) * 1000, "Will-Retry-Until is the queue's expiry");
  assert.match(status, /Remote-MTA: dns; mx1\.example\.test/, 'RFC 3464 §2.3.6: the reply came from the remote MTA');
  assert.match(status, /Diagnostic-Code: smtp; 451/);
  assert.doesNotMatch(status, /soft2@example\.test/, 'NOTIFY=FAILURE only: no delay notice');
});
