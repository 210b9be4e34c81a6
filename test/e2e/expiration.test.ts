import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scenario } from '../lib/scenario.js';
import { swaksQueued } from '../lib/submit.js';
import { startScenarioPetrel } from '../lib/petrel.js';
import { startSink, waitFor } from '@petrel/testkit';

// Senders in other.test are answered through mx2 (127.0.0.3), a healthy sink, so the DSN can arrive.
const ZONE = ['mx-host=other.test,mx2.example.test,10'];

test('a domain-scoped message_expiration: retried while 4xx, then an expiration record with 554 5.4.7 and a DSN to the sender', async (t) => {
  const s = await scenario(t, ZONE);
  s.stopAfter(await startSink(s.dir, '127.0.0.2', s.mxPort, ['-r', 'RCPT'])); // every RCPT: 4xx
  const healthy = s.stopAfter(await startSink(s.dir, '127.0.0.3', s.mxPort));
  const extra = '[domain."example.test"]\nmessage_expiration = "4s"\n';
  const p = await startScenarioPetrel(s, {
    global: 'retry_interval = "1s"\nmax_retry_interval = "1s"',
    extra,
  });

  const id = await swaksQueued(s.listenPort, 'sender@other.test', 'late@example.test');

  const { events: ev } = await p.waitForRecord('expiration', id);
  const mine = ev.filter((x) => x.message_id === id);
  const received = Date.parse(String(mine.find((x) => x.type === 'reception')!.time));
  const attempts = mine.filter((x) => x.type === 'transient_failure');
  assert.ok(attempts.length >= 2, `retried before expiring (${attempts.length} attempts)`);
  assert.deepEqual(
    attempts.map((x) => x.attempt),
    attempts.map((_, i) => i + 1),
    'attempts numbered in order',
  );
  const exp = mine.find((x) => x.type === 'expiration')!;
  assert.equal(exp.reply, '554 5.4.7 [internal] exceeded max time without delivery');
  const age = Date.parse(String(exp.time)) - received;
  assert.ok(age >= 3_000 && age < 8_000, `expired by the domain's 4 s, not the global 1 h (${age} ms)`);
  assert.ok(!mine.some((x) => x.type === 'delivery'));

  const dsn = await waitFor(
    "the DSN at the sender's MX",
    () => healthy.messages().find((m) => m.includes('Action: failed')),
    15_000,
  );
  assert.match(dsn, /^X-Rcpt-Args: <sender@other\.test>/m);
  assert.match(dsn, /Status: 5\.4\.7/);
});
