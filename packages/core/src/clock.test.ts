import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from './clock.js';
import { newMessageId } from './ids.js';

test('ManualClock fires due timers in time order and not before', () => {
  const c = new ManualClock(1000);
  const fired: string[] = [];
  c.setTimer(50, () => fired.push('b'));
  c.setTimer(10, () => fired.push('a'));
  const h = c.setTimer(20, () => fired.push('cancelled'));
  c.clearTimer(h);
  c.advance(9);
  assert.deepEqual(fired, []);
  c.advance(41);
  assert.deepEqual(fired, ['a', 'b']);
  assert.equal(c.now(), 1050);
});

test('a timer set from inside a timer fires in the same advance when due', () => {
  const c = new ManualClock(0);
  const fired: number[] = [];
  c.setTimer(10, () => {
    fired.push(c.now());
    c.setTimer(10, () => fired.push(c.now()));
  });
  c.advance(100);
  assert.deepEqual(fired, [10, 20]);
});

test('message ids are unique, 26 characters, and sort by creation', () => {
  const ids = Array.from({ length: 10_000 }, () => newMessageId());
  assert.equal(new Set(ids).size, ids.length);
  assert.ok(ids.every((id) => /^[0-9A-HJKMNP-TV-Z]{26}$/.test(id)));
  assert.deepEqual([...ids].sort(), ids);
});

test('message ids of different milliseconds draw fresh randomness, across refills of the random pool', () => {
  // 1,000 milliseconds: 1,000 draws of 16 bytes, about four refills of the 4 KiB pool.
  const ids = Array.from({ length: 1000 }, (_, i) => newMessageId(1_700_000_000_000 + i));
  const randomParts = new Set(ids.map((id) => id.slice(10)));
  assert.equal(randomParts.size, ids.length, 'no random part repeats');
  assert.deepEqual([...ids].sort(), ids);
});
