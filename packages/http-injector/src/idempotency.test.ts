import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startInjector } from './test-support.js';

const req = {
  sender: 's@shop.test',
  recipients: ['a@a.test', 'b@b.test', 'c@c.test'],
  content: { from: 's@shop.test', subject: 'x', text: 'y' },
};

test('the same Idempotency-Key returns the first response and stores nothing new', async (t) => {
  const h = await startInjector();
  t.after(() => h.close());
  const first = await h.inject(req, { 'idempotency-key': 'order-1' });
  assert.equal(first.status, 201);
  const again = await h.inject(req, { 'idempotency-key': '"order-1"' });
  assert.equal(again.status, 201);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  assert.deepEqual(await again.json(), await first.json());
  assert.equal(h.stored.length, 3);
  const other = await h.inject(req, { 'idempotency-key': 'order-1' }, h.tokens.pinned);
  assert.equal(other.status, 201, 'keys are per client');
  assert.equal(h.stored.length, 6);
});

test('the same key with another body is 422; concurrent use of one key is 409', async (t) => {
  const h = await startInjector();
  t.after(() => h.close());
  const [a, b] = await Promise.all([
    h.inject(req, { 'idempotency-key': 'k' }),
    h.inject(req, { 'idempotency-key': 'k' }),
  ]);
  assert.deepEqual([a.status, b.status].sort(), [201, 409]);
  const changed = await h.inject({ ...req, recipients: ['z@z.test'] }, { 'idempotency-key': 'k' });
  assert.equal(changed.status, 422);
  assert.match(((await changed.json()) as { type: string }).type, /idempotency-key-reused$/);
});

test('after a partial store a retry with the key stores only the missing messages and answers all ids', async (t) => {
  const h = await startInjector();
  t.after(() => h.close());
  h.failStores(1, 2);
  const failed = await h.inject(req, { 'idempotency-key': 'retry-me' });
  assert.equal(failed.status, 503);
  assert.equal(h.stored.length, 1);
  const retry = await h.inject(req, { 'idempotency-key': 'retry-me' });
  assert.equal(retry.status, 201);
  const { messages } = (await retry.json()) as { messages: { recipient: string; id: string }[] };
  assert.equal(h.stored.length, 3, 'each recipient stored once');
  assert.deepEqual(
    messages.map((m) => m.id),
    h.stored.map((s) => s.envelope.id),
  );
});

test('a key older than idempotency_ttl is forgotten: the request is new again', async (t) => {
  const h = await startInjector({ http: ['idempotency_ttl = "1h"'] });
  t.after(() => h.close());
  assert.equal((await h.inject(req, { 'idempotency-key': 'old' })).status, 201);
  h.clock.advance(3_600_001);
  const later = await h.inject(req, { 'idempotency-key': 'old' });
  assert.equal(later.status, 201);
  assert.equal(later.headers.get('idempotent-replayed'), null);
  assert.equal(h.stored.length, 6);
});
