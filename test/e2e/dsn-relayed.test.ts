import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simpleParser } from 'mailparser';
import { scenario } from '../lib/scenario.js';
import { startScenarioPetrel } from '../lib/petrel.js';
import { submitWithSmtplib, startSink, waitFor } from '@petrel/testkit';

test('NOTIFY=SUCCESS to a next hop without DSN (smtp-sink -N): a "relayed" DSN for that recipient only (RFC 3461 §5.2.2)', async (t) => {
  const s = await scenario(t);
  // -N: smtp-sink does not announce DSN, so Petrel is the last hop that can report success.
  const sink = s.stopAfter(await startSink(s.dir, '127.0.0.2', s.mxPort, ['-N']));
  await startScenarioPetrel(s);
  await submitWithSmtplib(s.listenPort, {
    sender: 'sender@example.test',
    mailOptions: ['ENVID=REL-1'],
    recipients: [
      ['wants-success@example.test', ['NOTIFY=SUCCESS,FAILURE']],
      ['quiet@example.test', []],
    ],
    message: 'From: <sender@example.test>\r\nSubject: relayed\r\nMessage-ID: <rel-1@example.test>\r\n\r\nhello\r\n',
  });
  // The original (one transaction, two recipients) and the DSN back to sender@example.test.
  const dumps = await waitFor('the original and the DSN at the sink', () => {
    const m = sink.messages();
    return m.length === 2 && m.some((d) => d.includes('Action: relayed')) ? m : undefined;
  });
  const dsnDump = dumps.find((d) => d.includes('Action: relayed'))!;
  assert.match(dsnDump, /^X-Mail-Args: <>/m, 'sent from the null reverse-path');
  const mail = await simpleParser(dsnDump.slice(dsnDump.indexOf('From: Mail Delivery System')));
  assert.equal(mail.subject, 'Successful Mail Delivery Report');
  assert.match(
    String(mail.headers.get('content-type') && (mail.headers.get('content-type') as { value: string }).value),
    /multipart\/report/,
  );
  assert.match(dsnDump, /^Original-Envelope-Id: REL-1$/m);
  assert.match(dsnDump, /^Final-Recipient: rfc822; ?wants-success@example\.test$/m);
  assert.match(dsnDump, /^Status: 2\.\d\.\d+$/m);
  assert.doesNotMatch(dsnDump, /quiet@example\.test/, 'no NOTIFY: no success report');
});
