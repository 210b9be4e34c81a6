import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, makeJob, nextTurn } from './test-support.js';

test('100 jobs routed in one turn make one demand per queue, with the connection goal', async () => {
  const h = await harness('[domain."fast.test"]\nconnection_allocation_aggressiveness = "high"\n');
  for (let i = 0; i < 100; i++)
    h.route(makeJob({ domain: 'slow.test', receivedAt: h.t0 }), makeJob({ domain: 'fast.test', receivedAt: h.t0 }));
  assert.equal(h.demand.length, 0, 'nothing before the turn ends');
  await nextTurn();
  assert.deepEqual(h.demand, [
    { binding: 'default', domain: 'slow.test', active: 100, goal: 20 },
    { binding: 'default', domain: 'fast.test', active: 100, goal: 29 },
  ]);
  await nextTurn();
  assert.equal(h.demand.length, 2, 'no further demand without new jobs');
  await h.queue.stop();
});

test('the goal never exceeds the scope max_outbound_connections', async () => {
  const h = await harness('[domain."small.test"]\nmax_outbound_connections = 3\n');
  h.route(...Array.from({ length: 500 }, () => makeJob({ domain: 'small.test', receivedAt: h.t0 })));
  await nextTurn();
  assert.deepEqual(h.demand, [{ binding: 'default', domain: 'small.test', active: 500, goal: 3 }]);
  await h.queue.stop();
});

test('a replacement connection-goal function decides the goal, clamped to the max', async () => {
  const seen: number[] = [];
  const h = await harness('', {
    connectionGoal: (q) => {
      seen.push(q.active);
      return q.domain === 'greedy.test' ? 1000 : 7;
    },
  });
  h.route(makeJob({ domain: 'greedy.test', receivedAt: h.t0 }), makeJob({ domain: 'seven.test', receivedAt: h.t0 }));
  await nextTurn();
  assert.deepEqual(
    h.demand.map((d) => d.goal),
    [32, 7],
  );
  assert.deepEqual(seen, [1, 1]);
  await h.queue.stop();
});

test('a queue emptied before the turn ends asks for nothing', async () => {
  const h = await harness();
  h.route(makeJob({ receivedAt: h.t0 }));
  await h.take('example.test');
  await nextTurn();
  assert.deepEqual(h.demand, []);
  await h.queue.stop();
});
