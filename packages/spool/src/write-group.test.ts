import { type TestContext, test } from 'node:test';
import assert from 'node:assert/strict';
import { isPetrelError, type PetrelError } from '@petrel/core';
import { openSpoolDatabase, type SpoolDatabase } from './database.js';
import { body, envelope, tempRoot } from './spool-fixture.js';
import { WorkerBackend } from './worker-backend.js';
import { createWriteTransactions, type OutcomeChange, type WriteTransactions } from './write-transactions.js';

const ok = { code: 250, lines: ['ok'] };

/** A fresh spool database and its write transactions, closed and removed after the test. */
function openTransactions(t: TestContext): { db: SpoolDatabase; tx: WriteTransactions } {
  const tmp = tempRoot();
  t.after(() => tmp.cleanup());
  const db = openSpoolDatabase(tmp.spoolDir);
  t.after(() => db.close());
  return { db, tx: createWriteTransactions(db) };
}

test('a group commits each request in its own savepoint: a failing request alone is rolled back, the others stand', (t) => {
  const { db, tx } = openTransactions(t);
  const bogus = { kind: 'bogus', messageId: 'A' } as unknown as OutcomeChange;
  const results = tx.commitGroup([
    { kind: 'store', batch: [{ envelope: envelope(['a@example.test'], 'A'), body: body(1) }] },
    {
      kind: 'outcomes',
      changes: [{ kind: 'finish', messageId: 'A', index: 0, status: 'delivered', reply: ok }, bogus],
    },
    { kind: 'records', ops: [{ kind: 'put', key: 'k', value: 'v', time: 1 }] },
  ]);
  assert.deepEqual(results[0], { ok: true, value: { rejected: [] } });
  assert.equal(results[1]?.ok, false);
  assert.ok(!results[1]?.ok && isPetrelError(results[1].error, 'PETREL_ERR_SPOOL_WRITE'));
  assert.deepEqual(results[2], { ok: true, value: 1 });
  assert.equal(db.inTransaction, false);
  // The failed outcome batch left nothing: A is stored and still pending, the record is there.
  assert.equal(db.prepare("SELECT status FROM recipients WHERE message_id = 'A'").pluck().get(), 'pending');
  assert.equal(db.prepare("SELECT value FROM records WHERE key = 'k'").pluck().get(), 'v');
  assert.equal(db.pragma('synchronous', { simple: true }), 2, 'FULL again after the group');
});

test('a full disk inside a group: every request reported committed is in the database, every failed one is not', (t) => {
  const { db, tx } = openTransactions(t);
  const pages = db.pragma('page_count', { simple: true }) as number;
  // Room for a few small bodies, not for a large one: SQLITE_FULL mid-group.
  db.pragma(`max_page_count = ${pages + 8}`);
  const results = tx.commitGroup([
    { kind: 'store', batch: [{ envelope: envelope(['a@example.test'], 'A'), body: body(1) }] },
    { kind: 'store', batch: [{ envelope: envelope(['a@example.test'], 'BIG'), body: Buffer.alloc(256 * 1024, 120) }] },
    { kind: 'store', batch: [{ envelope: envelope(['a@example.test'], 'C'), body: body(3) }] },
  ]);
  assert.equal(db.inTransaction, false);
  assert.equal(results[1]?.ok, false, 'the body that does not fit is refused');
  assert.ok(!results[1]?.ok && isPetrelError(results[1].error, 'PETREL_ERR_SPOOL_FULL'));
  const stored = new Set(db.prepare('SELECT id FROM messages').pluck().all() as string[]);
  for (const [i, id] of ['A', 'BIG', 'C'].entries())
    assert.equal(stored.has(id), results[i]?.ok, `${id}: reported as in the database`);
});

test('requests sent without waiting are answered in order, each with its own result, an outcome after the store it follows', async (t) => {
  const tmp = tempRoot();
  t.after(() => tmp.cleanup());
  const failures: PetrelError[] = [];
  const backend = await WorkerBackend.start({ dir: tmp.spoolDir, onFailure: (e) => failures.push(e) });
  t.after(() => backend.close());
  const order: string[] = [];
  const track = <T>(name: string, p: Promise<T>): Promise<T> => p.finally(() => order.push(name));
  const [stored, effects, records, dup] = await Promise.all([
    track('store', backend.commitStores([{ envelope: envelope(['a@example.test'], 'A'), body: body(1) }])),
    // Sent before the store is answered: it must see the message the store wrote.
    track(
      'outcomes',
      backend.applyOutcomes([{ kind: 'finish', messageId: 'A', index: 0, status: 'delivered', reply: ok }]),
    ),
    track('records', backend.applyRecords([{ kind: 'put', key: 'k', value: 'v', time: 1 }])),
    track('duplicate', backend.commitStores([{ envelope: envelope(['a@example.test'], 'A'), body: body(2) }])),
  ]);
  assert.deepEqual(stored, { rejected: [] });
  assert.deepEqual(effects, { finished: 1, deleted: 1, bytes: body(1).length });
  assert.equal(records, 1);
  // A was deleted by the outcome before the second store: the id is free again.
  assert.deepEqual(dup, { rejected: [] });
  assert.deepEqual(order, ['store', 'outcomes', 'records', 'duplicate']);
  assert.deepEqual(failures, []);
});
