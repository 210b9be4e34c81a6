import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_BUCKETS, ReceptionIndex } from './reception-index.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 11, 1);

test('a queue received over a day keeps at most MAX_BUCKETS buckets, and its counts stay exact', () => {
  // 100 000 jobs, each in its own second: counted per second, that was 100 000 entries.
  const idx = new ReceptionIndex();
  const n = 100_000;
  const at = (i: number) => T0 + Math.floor((i * DAY) / n);
  for (let i = 0; i < n; i++) idx.add(at(i), 2);
  assert.ok(idx.size <= MAX_BUCKETS, `${idx.size} buckets`);
  assert.ok(idx.precision > 1000 && idx.precision <= 512_000, `precision ${idx.precision}`);
  const now = T0 + DAY;
  assert.equal(idx.shape(now, []).recipients, 2 * n);
  // The oldest reads at most one bucket early, never late.
  assert.ok(idx.oldest() <= T0 && idx.oldest() > T0 - idx.precision);
  // Removing the older half keeps every count exact and moves the oldest on.
  for (let i = 0; i < n / 2; i++) idx.remove(at(i), 2);
  assert.equal(idx.shape(now, []).recipients, n);
  const oldest = at(n / 2);
  assert.ok(idx.oldest() <= oldest && idx.oldest() > oldest - idx.precision, `${idx.oldest()} vs ${oldest}`);
});

test('shape slots are those of the true ages, read up to one bucket older', () => {
  const idx = new ReceptionIndex();
  const now = T0 + DAY;
  const bounds = [5, 10, 20, 40, 80, 160, 320, 640, 1280].map((m) => m * 60_000);
  const ages: number[] = [];
  for (let i = 0; i < 20_000; i++) ages.push((i * 7919 * 1000) % DAY);
  for (const age of ages) idx.add(now - age, 1);
  const slot = (age: number) => {
    let i = 0;
    while (i < bounds.length && age >= bounds[i]!) i++;
    return i;
  };
  const got = idx.shape(now, bounds).byAge;
  // Each job lands in the slot of an age in [true age, true age + precision].
  const low = new Array<number>(bounds.length + 1).fill(0);
  const high = new Array<number>(bounds.length + 1).fill(0);
  for (const age of ages) {
    low[slot(age)]!++;
    high[slot(age + idx.precision)]!++;
  }
  let cumGot = 0;
  let cumLow = 0;
  let cumHigh = 0;
  for (let i = 0; i <= bounds.length; i++) {
    cumGot += got[i]!;
    cumLow += low[i]!;
    cumHigh += high[i]!;
    assert.ok(cumGot <= cumLow && cumGot >= cumHigh, `slot ${i}: ${cumGot} not in [${cumHigh}, ${cumLow}]`);
  }
  assert.equal(cumGot, ages.length);
});

test('a queue received within minutes is counted to the second, and again after it emptied', () => {
  const idx = new ReceptionIndex();
  for (let s = 0; s < 300; s++) idx.add(T0 + s * 1000 + 500, 1);
  assert.equal(idx.precision, 1000);
  assert.equal(idx.oldest(), T0);
  // Widened by a long spread, then emptied: the next queue's ages are exact again.
  for (let s = 0; s < 2000; s++) idx.add(T0 + 300_000 + s * 60_000, 1);
  assert.ok(idx.precision > 1000);
  for (let s = 0; s < 300; s++) idx.remove(T0 + s * 1000 + 500, 1);
  for (let s = 0; s < 2000; s++) idx.remove(T0 + 300_000 + s * 60_000, 1);
  assert.equal(idx.size, 0);
  assert.equal(idx.oldest(), 0);
  idx.add(T0 + 12_345, 3);
  assert.equal(idx.precision, 1000);
  assert.equal(idx.oldest(), T0 + 12_000);
  assert.deepEqual(idx.shape(T0 + 42_000, [30_000]), { recipients: 3, byAge: [0, 3] });
});
