/**
 * ORCPT in the utf-8 address type (RFC 6533 §3) end to end: python smtplib submits with
 * SMTPUTF8 and ORCPT=utf-8;üser@example.com in raw UTF-8; Petrel accepts it, keeps it with the
 * recipient and relays it to the MX (smtp-sink) in the 7-bit form ORCPT=utf-8;\x{FC}ser@….
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scenario } from '../lib/scenario.js';
import { submitWithSmtplib, startSink, waitFor } from '@petrel/testkit';
import { startScenarioPetrel } from '../lib/petrel.js';

test('smtplib SMTPUTF8 + ORCPT=utf-8;üser@example.com is accepted and relayed as ORCPT=utf-8;\\x{FC}ser@example.com', {
  timeout: 40_000,
}, async (t) => {
  const s = await scenario(t);
  const sink = s.stopAfter(await startSink(s.dir, '127.0.0.2', s.mxPort));
  await startScenarioPetrel(s);
  await submitWithSmtplib(s.listenPort, {
    sender: 'sender@example.test',
    mailOptions: ['SMTPUTF8'],
    recipients: [['bob@example.test', ['NOTIFY=FAILURE', 'ORCPT=utf-8;üser@example.com']]],
    message:
      'From: <sender@example.test>\r\nSubject: utf-8 orcpt\r\nMessage-ID: <orcpt-1@example.test>\r\n\r\nhello\r\n',
  });
  const dumps = await waitFor('the message at the sink', () =>
    sink.messages().length === 1 ? sink.messages() : undefined,
  );
  const rcpt = /^X-Rcpt-Args: (.*)$/m.exec(dumps[0]!)?.[1];
  assert.ok(rcpt, dumps[0]);
  assert.match(rcpt, /^<bob@example\.test>/);
  assert.ok(rcpt.includes('ORCPT=utf-8;\\x{FC}ser@example.com'), rcpt);
});
