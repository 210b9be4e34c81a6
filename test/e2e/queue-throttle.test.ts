import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scenario } from '../lib/scenario.js';
import { listenerTransport } from '../lib/submit.js';
import { startScenarioPetrel } from '../lib/petrel.js';
import { startSink } from '@petrel/testkit';

const N = 6;

test('outbound_throttle_messages = "2" paces delivery to the sink at two messages per second', async (t) => {
  const s = await scenario(t);
  const sink = s.stopAfter(await startSink(s.dir, '127.0.0.2', s.mxPort));
  const petrel = await startScenarioPetrel(s, {
    extra: '[domain."example.test"]\noutbound_throttle_messages = "2"\n',
  });
  const transport = listenerTransport(s.listenPort, { pool: true, maxConnections: 3 });
  await Promise.all(
    Array.from({ length: N }, (_, i) =>
      transport.sendMail({
        from: 'a@test.local',
        to: `r${i}@example.test`,
        subject: `t${i}`,
        messageId: `<throttle-${i}@test.local>`,
        text: 'x\n',
      }),
    ),
  );
  transport.close();
  const ev = await petrel.waitForEvents(
    `${N} deliveries`,
    (e) => e.filter((x) => x.type === 'delivery').length >= N,
    15_000,
  );
  const times = ev
    .filter((x) => x.type === 'delivery')
    .map((x) => Date.parse(String(x.time)))
    .sort((a, b) => a - b);
  // A bucket of 2 tokens refilled at 2/s: two at once, then one every 500 ms → the sixth ≥ 2 s after the first.
  const span = times[N - 1]! - times[0]!;
  // (Unthrottled, six messages reach the sink within ~100 ms.) Log times are taken when each
  // delivery ends, so allow the first connection's set-up on top of the token times 0, 0, .5, 1.
  assert.ok(span >= 1_700, `deliveries spread over ${span} ms`);
  const perWindow = times.filter((x) => x - times[0]! < 1_000).length;
  assert.ok(perWindow <= 4, `at most 2 + 2 refilled in the first second, got ${perWindow}`);
  assert.equal(sink.messages().length, N);
});
