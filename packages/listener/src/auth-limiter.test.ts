import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthFailureLimiter } from './auth.js';

test('AuthFailureLimiter counts checks in flight: begin() refuses once failures + running checks reach the limit', () => {
  const l = new AuthFailureLimiter(3, 1000);
  assert.ok(l.begin('1.2.3.4', 0));
  assert.ok(l.begin('1.2.3.4', 0));
  assert.ok(l.begin('1.2.3.4', 0));
  assert.equal(l.begin('1.2.3.4', 0), false, 'three checks running fill the limit');
  assert.ok(l.blocked('1.2.3.4', 0));
  assert.ok(l.begin('5.6.7.8', 0), 'another address is not affected');
  // A success frees its slot without a failure.
  assert.equal(l.end('1.2.3.4', 1, false), false);
  assert.equal(l.end('1.2.3.4', 1, true), false, 'one failure is not the limit');
  assert.ok(l.begin('1.2.3.4', 1), 'one failure + one running + this one = 3');
  assert.equal(l.begin('1.2.3.4', 1), false);
  l.end('1.2.3.4', 2, true);
  assert.equal(l.end('1.2.3.4', 2, true), true, 'three failures block');
  assert.equal(l.begin('1.2.3.4', 500), false);
  assert.ok(l.begin('1.2.3.4', 1002), 'the window slides');
});
