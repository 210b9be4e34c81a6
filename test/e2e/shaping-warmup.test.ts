import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { aioStats, startAio, waitFor } from '@petrel/testkit';
import { scenario } from '../lib/scenario.js';
import { startScenarioPetrel } from '../lib/petrel.js';
import { sendEach } from '../lib/submit.js';

const HOURLY = 3;
const HOUR_MS = 5_000;
const N = 7;

test('a warm-up schedule caps deliveries per hour window; the rest go in the next windows, none fails', async (t) => {
  const s = await scenario(t);
  const statsFile = join(s.dir, 'mx-stats.json');
  const mx = s.stopAfter(await startAio(s.dir, '127.0.0.2', s.mxPort, ['--stats', statsFile]));
  const today = new Date().toISOString().slice(0, 10);
  const petrel = await startScenarioPetrel(s, {
    // The "hour" is 5 s here so that the test sees three windows; the day is untouched.
    extra:
      '[[shaping.warmup]]\nbinding = "default"\n' +
      `start = "${today}"\nhour = "${HOUR_MS / 1000}s"\n` +
      `schedule = [{ day = 1, hourly = ${HOURLY}, daily = 1000 }]\n`,
  });
  const start = Date.parse(today);
  // Submit just after a window opens, so that the first window's takes are not at its very end
  // (their MAIL FROM would then reach the MX in the next window, next to that window's own).
  const nextWindow = start + (Math.floor((Date.now() - start) / HOUR_MS) + 1) * HOUR_MS;
  await waitFor('a window start', () => (Date.now() >= nextWindow + 100 ? true : undefined), HOUR_MS + 1_000, 20);
  await sendEach(
    s.listenPort,
    Array.from({ length: N }, (_, i) => `r${i}@example.test`),
    'warm',
  );
  const ev = await petrel.waitForEvents(
    'every delivery',
    (e) => e.filter((x) => x.type === 'delivery').length >= N,
    30_000,
  );
  // Counted at the MX: never more than HOURLY MAIL FROMs in one window of the schedule.
  const perWindow = new Map<number, number>();
  for (const at of aioStats(statsFile).mails) {
    const w = Math.floor((at * 1000 - start) / HOUR_MS);
    perWindow.set(w, (perWindow.get(w) ?? 0) + 1);
  }
  assert.ok(
    [...perWindow.values()].every((n) => n <= HOURLY),
    `at most ${HOURLY} per window: ${JSON.stringify([...perWindow])}`,
  );
  assert.ok(perWindow.size >= Math.ceil(N / HOURLY), 'the rest waited for the next windows');
  assert.equal(mx.messages().length, N);
  assert.equal(ev.filter((x) => x.type === 'permanent_failure' || x.type === 'expiration').length, 0);
});
