/**
 * A real Postfix's delay warning and its expiry bounce for a recipient whose next hop keeps answering
 * 451: both come back to Petrel's return-path domain as RFC 3464 DSNs. The warning (`Action: delayed`)
 * and the expiry (`Action: failed` with a 4.x.x Status, RFC 3464 §2.3.4: the last attempt failed
 * temporarily) are recorded against the message and recipient as a delay (70) and an expiry (24), and
 * neither suppresses: the address may work tomorrow.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { freePort, startAio, startPostfixInstance, submitWithSmtplib } from '@petrel/testkit';
import { scenario } from '../lib/scenario.js';
import { returnPathConfig, startScenarioPetrel } from '../lib/petrel.js';
import { expectDelayThenExpiry } from '../lib/feedback.js';

test('a real Postfix delay warning and expiry bounce are a delay and an expiry, and suppress nobody', {
  timeout: 120_000,
}, async (t) => {
  const s = await scenario(t);
  // The next hop answers 451 to every "soft…" recipient (aio-server.py).
  const nextPort = await freePort('127.0.0.4');
  s.stopAfter(await startAio(s.dir, '127.0.0.4', nextPort));
  // The MX of example.test relays to that next hop and retries every second; it warns after 1 s and
  // gives up after 6 s (postconf(5): delay_warning_time, maximal_queue_lifetime).
  const mx = s.stopAfter(
    await startPostfixInstance(join(s.dir, 'postfix-mx'), '127.0.0.2', s.mxPort, [
      'myhostname = mx1.example.test',
      'inet_interfaces = loopback-only',
      'relay_domains = example.test',
      `transport_maps = inline:{ rp.test=smtp:[127.0.0.1]:${s.listenPort}, example.test=smtp:[127.0.0.4]:${nextPort} }`,
      'delay_warning_time = 1s',
      'maximal_queue_lifetime = 6s',
      'bounce_queue_lifetime = 6s',
      'queue_run_delay = 1s',
      'minimal_backoff_time = 1s',
      'maximal_backoff_time = 1s',
    ]),
  );
  const petrel = await startScenarioPetrel(s, returnPathConfig(['verp_secret = "e2e-secret"']));

  const id = await submitWithSmtplib(s.listenPort, {
    sender: 'news@sender.test',
    recipients: [['softly@example.test', []]],
    message:
      'From: news@sender.test\r\nTo: softly@example.test\r\nSubject: delay\r\nMessage-ID: <d1@sender.test>\r\n\r\nhello\r\n',
  });
  await expectDelayThenExpiry(petrel, id, 'softly@example.test');
  const log = mx.maillog();
  assert.match(log, /to=<softly@example\.test>.*status=deferred/, 'the next hop deferred it');
  assert.match(log, /sender delay notification/, 'Postfix sent a delay warning');
  assert.match(log, /status=expired, returned to sender/, 'and then gave up');
});
