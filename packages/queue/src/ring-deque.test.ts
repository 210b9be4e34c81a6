import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RingDeque } from './ring-deque.js';

test('keeps FIFO order across growth and wrap-around', () => {
  const d = new RingDeque<number>(4);
  const model: number[] = [];
  let next = 0;
  // Interleave pushes and shifts so the head wraps many times while the buffer grows.
  for (let round = 0; round < 200; round++) {
    for (let i = 0; i < 3; i++) {
      d.pushBack(next);
      model.push(next++);
    }
    assert.equal(d.shift(), model.shift());
  }
  assert.equal(d.length, model.length);
  assert.deepEqual([...d], model);
});

test('pushFront puts a value ahead of everything, even when the head is at index 0', () => {
  const d = new RingDeque<string>(4);
  d.pushBack('b');
  d.pushBack('c');
  d.pushFront('a');
  for (let i = 0; i < 10; i++) d.pushFront(`x${i}`);
  assert.equal(d.peekFront(), 'x9');
  assert.deepEqual([...d].slice(-3), ['a', 'b', 'c']);
  assert.equal(d.length, 13);
});

test('shift on an empty deque returns undefined', () => {
  const d = new RingDeque<number>();
  assert.equal(d.shift(), undefined);
  assert.equal(d.peekFront(), undefined);
  assert.equal(d.length, 0);
});
