import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simpleParser } from 'mailparser';
import { scenario } from '../lib/scenario.js';
import { submitWithSmtplib, startAio, waitFor } from '@petrel/testkit';
import { startScenarioPetrel } from '../lib/petrel.js';

test('the Will-Retry-Until a delay DSN announces is when the recipient expires: no earlier expiry when the next try would fall past it', async (t) => {
  const s = await scenario(t);
  const mx = s.stopAfter(await startAio(s.dir, '127.0.0.2', s.mxPort));
  // Tries at 0 s and 4 s; the next would be at 8 s, past the 7 s expiry. Before the fix the
  // recipient expired at the 4 s deferral, 3 s before the Will-Retry-Until its DSN announced.
  const petrel = await startScenarioPetrel(s, {
    global:
      'generate_delay_dsn = true\ndelay_dsn_retry_interval = "0s"\nretry_interval = "4s"\nmax_retry_interval = "4s"\nmessage_expiration = "7s"',
  });

  const id = await submitWithSmtplib(s.listenPort, {
    sender: 'sender@example.test',
    recipients: [['soft1@example.test', ['NOTIFY=DELAY,FAILURE']]],
    message:
      'From: Sender <sender@example.test>\r\nTo: soft1@example.test\r\nSubject: will expire\r\nMessage-ID: <orig-expiry@example.test>\r\n\r\nstill trying\r\n',
  });
  const ev = await petrel.waitForEvents(
    'the expiration',
    (e) => e.some((x) => x.type === 'expiration' && x.message_id === id),
    30_000,
  );
  const expiredAt = Date.parse(ev.find((x) => x.type === 'expiration' && x.message_id === id)!.time as string);
  const received = Date.parse(ev.find((x) => x.type === 'reception' && x.message_id === id)!.time as string);

  // The delay DSNs at the sender's MX (127.0.0.2 is also example.test's MX), read by a real parser.
  // Each deferral sends one (delay_dsn_retry_interval 0): at 0 s and at 4 s.
  const delayDsns = await waitFor('the delay DSNs at the MX', () => {
    const m = mx.messages().filter((x) => x.includes('Action: delayed'));
    return m.length >= 1 && ev.filter((x) => x.type === 'bounce' && x.action === 'delayed').length <= m.length
      ? m
      : undefined;
  });
  for (const raw of delayDsns) {
    const mail = await simpleParser(raw.subarray(raw.indexOf('\r\n', raw.indexOf('X-Env-To')) + 2));
    const text = (mail.text ?? '').replace(/\n[ \t]+/g, ' ');
    const until = Date.parse(/Will-Retry-Until: (.+)/.exec(text)![1]!.trim());
    assert.equal(until, Math.floor((received + 7000) / 1000) * 1000, 'announced: reception + message_expiration');
    // RFC 5322 dates have whole seconds: the expiry falls in the announced second (timer slack allowed).
    assert.ok(
      expiredAt >= until && expiredAt < until + 1500,
      `expired at ${expiredAt - received} ms, announced ${until - received} ms after reception`,
    );
  }
});
