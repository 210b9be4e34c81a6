import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultConnectionGoal, type ConnectionGoalInput } from './connection-goal.js';

const q = (
  active: number,
  aggressiveness: 'normal' | 'high' = 'normal',
  inFlight = 0,
  max = 32,
): ConnectionGoalInput => ({
  binding: 'default',
  domain: 'example.test',
  active,
  inFlight,
  maxOutboundConnections: max,
  aggressiveness,
});

test('follows Momentum documented points for max 32 (reference §5)', () => {
  assert.deepEqual(
    [100, 200, 400].map((n) => defaultConnectionGoal(q(n))),
    [20, 28, 31],
  );
  assert.deepEqual(
    [50, 100, 200, 400].map((n) => defaultConnectionGoal(q(n, 'high'))),
    [23, 29, 32, 32],
  );
});

test('is 0 for an empty queue and at least 1 for any active mail', () => {
  assert.equal(defaultConnectionGoal(q(0)), 0);
  assert.equal(defaultConnectionGoal(q(1)), 1);
});

test('never exceeds max_outbound_connections nor the jobs there are to carry', () => {
  assert.equal(defaultConnectionGoal(q(100_000, 'high', 0, 5)), 5);
  // With a large max the curve (221 for 10 active under high) would open idle connections:
  // 10 waiting + 5 in flight can use 15 at most.
  assert.equal(defaultConnectionGoal(q(10, 'high', 5, 1000)), 15);
  assert.equal(defaultConnectionGoal(q(10, 'high', 0, 1000)), 10);
});
