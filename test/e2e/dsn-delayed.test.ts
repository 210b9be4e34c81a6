import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { scenario } from '../lib/scenario.js';
import { submitWithSmtplib } from '../lib/smtplib.js';
import { startAio } from '../lib/peers.js';
import { startPetrel, testConfig } from '../lib/petrel.js';
import { waitFor } from '../lib/ports.js';

test('generate_delay_dsn: a 451 from the MX yields one "delayed" DSN (RFC 3464) for NOTIFY=DELAY recipients only, once, while retries go on', async (t) => {
  const s = await scenario(t);
  const mx = await startAio(s.dir, '127.0.0.2', s.mxPort);
  s.defer(() => mx.stop());
  const cfg = testConfig({ listenPort: s.listenPort, dnsServer: s.dns.server, remotePort: s.mxPort, global: 'generate_delay_dsn = true\nmessage_expiration = "2h"' });
  const petrel = await startPetrel(join(s.dir, 'petrel'), cfg, s.listenPort);
  s.defer(() => petrel.stop());

  const id = await submitWithSmtplib(s.listenPort, {
    sender: 'sender@example.test',
    mailOptions: ['RET=HDRS'],
    recipients: [['soft1@example.test', ['NOTIFY=DELAY,FAILURE']], ['soft2@example.test', ['NOTIFY=FAILURE']]],
    message: 'From: Sender <sender@example.test>\r\nTo: soft1@example.test\r\nSubject: will wait\r\nMessage-ID: <orig-delay@example.test>\r\n\r\nstill trying\r\n',
  });

  // Wait for the DSN's delivery and for a second deferral of the original: the notice is sent once.
  const ev = await petrel.waitForEvents(
    'the delay DSN delivered and a retry deferred',
    (e) =>
      e.some((x) => x.type === 'delivery' && x.sender === '' && x.recipient === 'sender@example.test') &&
      e.filter((x) => x.type === 'transient_failure' && x.message_id === id && x.recipient === 'soft1@example.test').length >= 2,
  );
  const bounces = ev.filter((x) => x.type === 'bounce' && x.message_id === id);
  assert.deepEqual(bounces.map((b) => [b.recipient, b.action]), [['soft1@example.test', 'delayed']], 'one notice, only the recipient that asked for NOTIFY=DELAY');
  assert.ok(!ev.some((x) => x.type === 'permanent_failure' && x.message_id === id), 'the original is still being retried');

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
  assert.match(status, /Diagnostic-Code: smtp; 451/);
  assert.doesNotMatch(status, /soft2@example\.test/, 'NOTIFY=FAILURE only: no delay notice');
});
