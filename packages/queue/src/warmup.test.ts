import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock, type ShapingStore, type WarmupConfig, type WarmupCounter } from '@petrel/core';
import { WarmupLedger, warmupWindow } from './warmup.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;
const start = Date.parse('2026-12-01');
const w: WarmupConfig = {
  binding: 'ip1',
  start,
  per: 'site',
  hour: HOUR,
  day: DAY,
  schedule: [
    { day: 1, hourly: 2, daily: 3 },
    { day: 3, hourly: 100, daily: 1000 },
  ],
};

test('day N picks the last step at or before it; the hour and day windows end on the schedule grid', () => {
  const d1 = warmupWindow(w, start + 90 * 60_000);
  assert.equal(d1.dayNumber, 1);
  assert.equal(d1.step.hourly, 2);
  assert.equal(d1.hourEnds, start + 2 * HOUR);
  assert.equal(warmupWindow(w, start + DAY + 1).step.hourly, 2, 'day 2 keeps day 1 step');
  assert.equal(warmupWindow(w, start + 2 * DAY + 1).step.hourly, 100, 'day 3');
  assert.equal(warmupWindow(w, start - 5 * HOUR).dayNumber, 1, 'before the start counts as day 1');
});

function memoryStore(): ShapingStore & { counters: Map<string, WarmupCounter> } {
  const counters = new Map<string, WarmupCounter>();
  return {
    counters,
    loadStates: () => [],
    putState: () => undefined,
    deleteState: () => undefined,
    loadCounters: () => [...counters.values()],
    putCounters: (l) => {
      for (const c of l) counters.set(c.key, c);
    },
    close: () => undefined,
  };
}

test('over the hourly budget a destination waits for the next hour, the daily budget for the next day', () => {
  const clock = new ManualClock(start + 10 * 60_000);
  const ledger = new WarmupLedger(
    clock,
    () => [w],
    () => undefined,
  );
  const now = clock.now();
  for (let i = 0; i < 2; i++) {
    assert.equal(ledger.wait('ip1', 'site-a', now), 0);
    ledger.consume('ip1', 'site-a', now);
  }
  assert.equal(ledger.wait('ip1', 'site-a', now), start + HOUR - now, 'until the hour ends');
  assert.equal(ledger.wait('ip1', 'site-b', now), 0, 'per site: another site has its own budget');
  assert.equal(ledger.wait('other', 'site-a', now), 0, 'a binding without a schedule is not limited');
  const nextHour = start + HOUR + 1;
  ledger.consume('ip1', 'site-a', nextHour);
  assert.equal(ledger.wait('ip1', 'site-a', nextHour), start + DAY - nextHour, 'daily budget of 3 used');
});

test('counters survive a restart through the store', () => {
  const store = memoryStore();
  const clock = new ManualClock(start + 1000);
  const a = new WarmupLedger(
    clock,
    () => [w],
    () => store,
  );
  a.consume('ip1', 's', clock.now());
  a.consume('ip1', 's', clock.now());
  a.stop();
  const b = new WarmupLedger(
    clock,
    () => [w],
    () => store,
  );
  b.load();
  assert.ok(b.wait('ip1', 's', clock.now()) > 0, 'the restarted ledger remembers the two messages');
});
