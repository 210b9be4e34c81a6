import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FreshBodies } from './fresh-bodies.js';

test('fresh bodies: bounded by bytes oldest first, forgotten on request, large bodies not kept', () => {
  const f = new FreshBodies(100);
  f.add('a', Buffer.alloc(20));
  f.add('b', Buffer.alloc(20));
  f.add('big', Buffer.alloc(30)); // > maxBytes / 4: read from the spool instead
  assert.equal(f.get('big'), undefined);
  for (const id of ['c', 'd', 'e']) f.add(id, Buffer.alloc(20));
  assert.equal(f.size, 100);
  f.add('f', Buffer.alloc(20));
  assert.equal(f.get('a'), undefined, 'the oldest went first');
  assert.ok(f.get('b'));
  f.forget('b');
  assert.equal(f.get('b'), undefined);
  assert.equal(f.size, 80);
});
