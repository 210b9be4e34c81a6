import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scenario } from '../lib/scenario.js';
import { swaksQueued } from '../lib/submit.js';
import { startScenarioPetrel } from '../lib/petrel.js';
import { startSink } from '@petrel/testkit';

test('the MX answers 451 to RCPT: transient_failure, requeued with backoff, delivered once the fault is lifted', async (t) => {
  const s = await scenario(t);
  // smtp-sink -r RCPT: every RCPT gets a 4xx.
  let sink = s.stopAfter(await startSink(s.dir, '127.0.0.2', s.mxPort, ['-r', 'RCPT']));
  const petrel = await startScenarioPetrel(s, {
    global: 'retry_interval = "3s"',
  });

  const id = await swaksQueued(s.listenPort, 'a@test.local', 'tempfail@example.test');

  const { record: tf, events: ev } = await petrel.waitForRecord('transient_failure', id);
  assert.match(String(tf.reply), /^4\d\d /);
  assert.equal(tf.attempt, 1);
  assert.equal(ev.filter((x) => x.type === 'delivery').length, 0);

  // Lift the fault: a healthy sink on the same address. The retry (after ~3 s backoff) delivers.
  await sink.stop();
  sink = s.stopAfter(await startSink(s.dir, '127.0.0.2', s.mxPort));
  const done = await petrel.waitForEvents(
    'the retry to deliver',
    (e) => e.some((x) => x.type === 'delivery' && x.message_id === id),
    30_000,
  );
  const d = done.find((x) => x.type === 'delivery' && x.message_id === id)!;
  assert.ok(Number(d.attempt) >= 2, `delivered on a retry, attempt ${String(d.attempt)}`);
  const tfTime = Date.parse(String(tf.time));
  const dTime = Date.parse(String(d.time));
  assert.ok(dTime - tfTime >= 2_500, `the retry waited the backoff (${dTime - tfTime} ms)`);
  assert.equal(sink.messages().length, 1);
});
