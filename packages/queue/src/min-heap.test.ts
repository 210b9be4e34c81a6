import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MinHeap } from './min-heap.js';

test('pops values in ascending order whatever the insertion order', () => {
  const h = new MinHeap<number>((a, b) => a < b);
  // A fixed pseudo-random sequence (LCG) so the test is reproducible.
  let x = 12345;
  const values: number[] = [];
  for (let i = 0; i < 1000; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    values.push(x % 500);
    h.push(x % 500);
  }
  const out: number[] = [];
  for (let v = h.pop(); v !== undefined; v = h.pop()) out.push(v);
  assert.deepEqual(
    out,
    [...values].sort((a, b) => a - b),
  );
  assert.equal(h.size, 0);
});

test('a sequence number in the order keeps equal keys first-in first-out', () => {
  const h = new MinHeap<{ at: number; seq: number }>((a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq));
  for (let seq = 0; seq < 50; seq++) h.push({ at: seq % 2, seq });
  const out: number[] = [];
  for (let v = h.pop(); v !== undefined; v = h.pop()) out.push(v.seq);
  assert.deepEqual(out, [
    ...Array.from({ length: 25 }, (_, i) => 2 * i),
    ...Array.from({ length: 25 }, (_, i) => 2 * i + 1),
  ]);
});
