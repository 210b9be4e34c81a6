import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyFilter } from './key-filter.js';

test('a key filter never says absent for a key it holds, and says absent for almost every other', () => {
  const f = new KeyFilter(50_000);
  for (let i = 0; i < 50_000; i++) f.add(`user${i}@example.test`);
  for (let i = 0; i < 50_000; i++) assert.ok(f.mayContain(`user${i}@example.test`), `user${i}`);
  let maybe = 0;
  for (let i = 0; i < 100_000; i++) if (f.mayContain(`other${i}@example.test`)) maybe++;
  // 16 bits a key and 4 probes: ~0.24 % expected; well under 1 % or the hashes are not independent.
  assert.ok(maybe < 1000, `${maybe} of 100,000 absent keys said maybe`);
  assert.ok(f.capacity >= 50_000);
});

test('an empty key filter holds nothing', () => {
  const f = new KeyFilter();
  assert.equal(f.mayContain('a@b.test'), false);
  assert.equal(f.mayContain(''), false);
  assert.equal(f.size, 0);
});
