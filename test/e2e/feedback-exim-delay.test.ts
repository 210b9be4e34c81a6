/**
 * A real Exim's delay warning and its retry time-out bounce for a recipient whose next hop keeps
 * answering 451, both sent to Petrel's return-path domain: recorded against the message and
 * recipient as a delay (70) and an expiry (24), neither suppressing (docs/feedback-loop.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { freePort, startAio, startEximInstance, submitWithSmtplib } from '@petrel/testkit';
import { scenario } from '../lib/scenario.js';
import { returnPathConfig, startScenarioPetrel } from '../lib/petrel.js';
import { eximRoutes, expectDelayThenExpiry } from '../lib/feedback.js';

test('a real Exim delay warning and retry time-out bounce are a delay and an expiry, and suppress nobody', {
  timeout: 120_000,
}, async (t) => {
  const s = await scenario(t);
  const nextPort = await freePort('127.0.0.4');
  s.stopAfter(await startAio(s.dir, '127.0.0.4', nextPort)); // soft* → 451
  // Exim warns after 1 s on the queue and gives the address up after 6 s of failures (retry rule F,6s,1s);
  // a queue runner every second makes both happen.
  const mx = s.stopAfter(
    await startEximInstance(join(s.dir, 'exim-mx'), '127.0.0.2', s.mxPort, {
      hostname: 'mx1.example.test',
      main: ['delay_warning = 1s'],
      retry: '* * F,6s,1s',
      queueRunEvery: '1s',
      ...eximRoutes(s.listenPort, nextPort),
    }),
  );
  const petrel = await startScenarioPetrel(s, returnPathConfig(['verp_secret = "e2e-secret"']));

  const id = await submitWithSmtplib(s.listenPort, {
    sender: 'news@sender.test',
    recipients: [['softly@example.test', []]],
    message:
      'From: news@sender.test\r\nTo: softly@example.test\r\nSubject: delay\r\nMessage-ID: <xd1@sender.test>\r\n\r\nhello\r\n',
  });
  await expectDelayThenExpiry(petrel, id, 'softly@example.test');
  const log = mx.mainlog();
  assert.match(log, /== softly@example\.test R=relayed T=to_next defer .*451/, 'the next hop deferred it');
  assert.match(log, /\*\* softly@example\.test: retry timeout exceeded/, 'Exim gave it up');
});
