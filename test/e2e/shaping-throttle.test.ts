import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { aioStats } from '@petrel/testkit';
import { scenario } from '../lib/scenario.js';
import { shapingRulesFile, startDeferringMx } from '../lib/shaping.js';
import { startScenarioPetrel } from '../lib/petrel.js';
import { sendEach } from '../lib/submit.js';

const N = 5;
const GAP_MS = 1_500;

test('a throttle action caps the delivery rate measured at the MX for its duration', async (t) => {
  const s = await scenario(t);
  const { statsFile, deferFile } = await startDeferringMx(
    s,
    '451 4.7.650 The mail server [127.0.0.1] has been temporarily rate limited (test)',
  );
  const petrel = await startScenarioPetrel(s, {
    extra: shapingRulesFile(
      s,
      `[[rule]]
name = "test-rate-limited"
domains = ["example.test"]
enhanced = "4.7.650"
action = [{ action = "throttle", scope = "domain", rate = "1/${GAP_MS / 1000}s", duration = "1m" }]
`,
    ),
  });
  await sendEach(s.listenPort, ['first@example.test'], 'trigger');
  await petrel.waitForEvents(
    'the throttle',
    (e) => e.some((x) => x.type === 'shaping' && x.kind === 'throttle'),
    15_000,
  );
  rmSync(deferFile);
  await sendEach(
    s.listenPort,
    Array.from({ length: N }, (_, i) => `r${i}@example.test`),
    'paced',
  );
  await petrel.waitForEvents('every delivery', (e) => e.filter((x) => x.type === 'delivery').length >= N + 1, 40_000);
  const mails = [...aioStats(statsFile).mails].sort((a, b) => a - b);
  assert.equal(mails.length, N + 1);
  // One token per 1.5 s (a bucket of one). Measured at the MX, a gap also carries the difference
  // between a new connection's set-up and a reused one's, so each gap is checked loosely and the
  // whole span tightly: unthrottled, the six arrive within a few hundred milliseconds.
  for (let i = 1; i < mails.length; i++) {
    const gap = (mails[i]! - mails[i - 1]!) * 1000;
    assert.ok(gap >= GAP_MS / 2, `gap ${i}: ${gap} ms`);
  }
  const span = (mails[mails.length - 1]! - mails[0]!) * 1000;
  assert.ok(span >= (mails.length - 1) * GAP_MS - 400, `${mails.length} messages over ${span} ms`);
});
