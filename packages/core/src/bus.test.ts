import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bus } from './bus.js';
import { isPetrelError } from './errors.js';

test('publish reaches every subscriber in subscription order', () => {
  const bus = new Bus();
  const seen: string[] = [];
  bus.subscribe('system.ready', () => void seen.push('a'));
  bus.subscribe('system.ready', () => void seen.push('b'));
  bus.publish('system.ready', { time: 1 });
  assert.deepEqual(seen, ['a', 'b']);
});

test('a throwing subscriber is isolated and logged; the others still run', async () => {
  const errors: unknown[] = [];
  const bus = new Bus({ error: (o: unknown) => void errors.push(o) } as never);
  const seen: string[] = [];
  bus.subscribe('system.ready', () => {
    throw new Error('boom');
  });
  bus.subscribe('system.ready', async () => {
    throw new Error('async boom');
  });
  bus.subscribe('system.ready', () => void seen.push('after'));
  assert.doesNotThrow(() => bus.publish('system.ready', { time: 1 }));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(seen, ['after']);
  assert.equal(errors.length, 2);
});

test('request calls the single handler; a second handler is an error', async () => {
  const bus = new Bus();
  bus.handle('spool.body', ({ id }) => Buffer.from(id));
  assert.equal((await bus.request('spool.body', { id: 'x' })).toString(), 'x');
  assert.throws(
    () => bus.handle('spool.body', () => Buffer.alloc(0)),
    (e) => isPetrelError(e, 'PETREL_ERR_BUS_DUPLICATE_HANDLER'),
  );
});

test('a default handler (hook) is replaced by a real one, never the reverse', async () => {
  const bus = new Bus();
  bus.handle('spool.body', () => Buffer.from('default'), { isDefault: true });
  bus.handle('spool.body', () => Buffer.from('real'));
  bus.handle('spool.body', () => Buffer.from('another default'), { isDefault: true });
  assert.equal((await bus.request('spool.body', { id: 'x' })).toString(), 'real');
});

test('a request with no handler rejects with PETREL_ERR_BUS_NO_HANDLER', async () => {
  const bus = new Bus();
  await assert.rejects(bus.request('queue.take', { binding: 'default', domain: 'x' }), (e) =>
    isPetrelError(e, 'PETREL_ERR_BUS_NO_HANDLER'),
  );
});

test('unknown topic names are refused at runtime', () => {
  const bus = new Bus();
  assert.throws(
    () => bus.subscribe('no.such' as never, () => undefined),
    (e) => isPetrelError(e, 'PETREL_ERR_BUS_TOPIC'),
  );
  assert.throws(
    () => bus.handle('no.such' as never, () => undefined as never),
    (e) => isPetrelError(e, 'PETREL_ERR_BUS_TOPIC'),
  );
});
