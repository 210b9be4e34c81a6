import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TtlLruCache } from './lru-cache.js';

test('an entry is a hit until its TTL passes, then a miss', () => {
  let now = 1000;
  const c = new TtlLruCache<string, number>(10, () => now);
  c.set('a', 1, 500);
  now = 1499;
  assert.equal(c.get('a'), 1);
  now = 1500;
  assert.equal(c.get('a'), undefined);
  assert.equal(c.size, 0);
});

test('when full, the least recently used entry is evicted first', () => {
  const c = new TtlLruCache<string, number>(2, () => 0);
  c.set('a', 1, 1000);
  c.set('b', 2, 1000);
  assert.equal(c.get('a'), 1); // a is now more recent than b
  c.set('c', 3, 1000);
  assert.equal(c.size, 2);
  assert.equal(c.get('b'), undefined);
  assert.equal(c.get('a'), 1);
  assert.equal(c.get('c'), 3);
});

test('a TTL of zero stores nothing and cap only ever shortens an entry', () => {
  let now = 0;
  const c = new TtlLruCache<string, number>(10, () => now);
  c.set('zero', 1, 0);
  assert.equal(c.get('zero'), undefined);
  c.set('a', 1, 300_000);
  c.cap('a', 60_000);
  c.cap('a', 600_000);
  now = 59_999;
  assert.equal(c.get('a'), 1);
  now = 60_000;
  assert.equal(c.get('a'), undefined);
});
