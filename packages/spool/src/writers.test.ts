import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock, PetrelError, isPetrelError, silentLogger, type MessageEnvelope } from '@petrel/core';
import { OutcomeWriter } from './outcome-writer.js';
import { body, envelope, job } from './spool-fixture.js';
import { StoreWriter } from './store-writer.js';
import type { WriteBackend } from './write-backend.js';
import type { OutcomeChange, OutcomeEffects, StoreCommitResult, StoreItem } from './write-transactions.js';

/** A backend whose requests stay pending until the test settles them, in order. */
class HeldBackend implements WriteBackend {
  readonly stores: { batch: readonly StoreItem[]; settle: (r: StoreCommitResult | PetrelError) => void }[] = [];
  readonly outcomes: { changes: readonly OutcomeChange[]; settle: (r: OutcomeEffects | PetrelError) => void }[] = [];

  commitStores(batch: readonly StoreItem[]): Promise<StoreCommitResult> {
    return new Promise((resolve, reject) => {
      this.stores.push({ batch, settle: (r) => (r instanceof PetrelError ? reject(r) : resolve(r)) });
    });
  }

  applyOutcomes(changes: readonly OutcomeChange[]): Promise<OutcomeEffects> {
    return new Promise((resolve, reject) => {
      this.outcomes.push({ changes, settle: (r) => (r instanceof PetrelError ? reject(r) : resolve(r)) });
    });
  }

  applyRecords(): Promise<number> {
    return Promise.resolve(0);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

const nextTurn = (): Promise<void> =>
  new Promise((resolve) => {
    setImmediate(resolve);
  });

function storeN(w: StoreWriter, from: number, n: number): Promise<void>[] {
  return Array.from({ length: n }, (_, i) =>
    w.store({ envelope: envelope(['a@example.test'], `ID-${from + i}`), body: body(from + i) }),
  );
}

test('stores queue while a batch is in flight and go as one batch when it settles', async () => {
  const backend = new HeldBackend();
  const committed: string[][] = [];
  const w = new StoreWriter(backend, { maxBatch: 100, onCommitted: (envs) => committed.push(envs.map((e) => e.id)) });
  const first = storeN(w, 0, 2);
  assert.equal(backend.stores.length, 0, 'an idle writer gathers the turn first');
  await nextTurn();
  assert.deepEqual(
    backend.stores.map((s) => s.batch.length),
    [2],
  );
  const later = [...storeN(w, 2, 3)];
  await nextTurn();
  later.push(...storeN(w, 5, 4));
  await nextTurn();
  assert.equal(backend.stores.length, 1, 'nothing more is sent while a batch is in flight');
  let resolved = 0;
  for (const p of first) void p.then(() => resolved++);
  await nextTurn();
  assert.equal(resolved, 0, 'not resolved before the backend answered');
  backend.stores[0]!.settle({ rejected: [] });
  await Promise.all(first);
  assert.deepEqual(committed, [['ID-0', 'ID-1']]);
  assert.deepEqual(
    backend.stores.map((s) => s.batch.length),
    [2, 7],
    'the seven queued meanwhile go together',
  );
  backend.stores[1]!.settle({ rejected: [{ index: 1, reason: 'duplicate' }] });
  const results = await Promise.allSettled(later);
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled'],
  );
  assert.ok(isPetrelError((results[1] as PromiseRejectedResult).reason, 'PETREL_ERR_SPOOL_WRITE'));
  assert.equal(committed[1]?.length, 6);
  assert.equal(w.commitCount, 2);
});

test('flush() sends at once and resolves when everything queued so far has settled; a rolled-back batch rejects all its stores', async () => {
  const backend = new HeldBackend();
  const w = new StoreWriter(backend, { maxBatch: 2, onCommitted: () => undefined });
  const stores = storeN(w, 0, 3).map((p) =>
    p.then(
      () => 'ok',
      (e: unknown) => (isPetrelError(e) ? e.details.sqlite : e),
    ),
  );
  let flushed = false;
  const flushing = w.flush().then(() => {
    flushed = true;
  });
  assert.deepEqual(
    backend.stores.map((s) => s.batch.length),
    [2],
    'sent without waiting for the turn, at most maxBatch',
  );
  backend.stores[0]!.settle(new PetrelError('PETREL_ERR_SPOOL_WRITE', 'disk I/O error', { sqlite: 'SQLITE_IOERR' }));
  await nextTurn();
  assert.equal(flushed, false);
  assert.deepEqual(
    backend.stores.map((s) => s.batch.length),
    [2, 1],
  );
  backend.stores[1]!.settle({ rejected: [] });
  await flushing;
  assert.deepEqual(await Promise.all(stores), ['SQLITE_IOERR', 'SQLITE_IOERR', 'ok']);
  assert.equal(w.commitCount, 1);
});

test('failAll rejects what is queued and releases flush()', async () => {
  const backend = new HeldBackend();
  const w = new StoreWriter(backend, { maxBatch: 1, onCommitted: () => undefined });
  const stores = storeN(w, 0, 2);
  const flushing = w.flush();
  backend.stores[0]!.settle({ rejected: [] });
  await stores[0];
  // The second one is in flight now; nothing is queued.
  const third = storeN(w, 2, 1)[0]!;
  w.failAll(new PetrelError('PETREL_ERR_SPOOL_WRITE', 'stopping', { reason: 'stopped' }));
  await assert.rejects(third, (e: unknown) => isPetrelError(e, 'PETREL_ERR_SPOOL_WRITE'));
  backend.stores[1]!.settle({ rejected: [] });
  await flushing;
  await stores[1];
});

function delivered(w: OutcomeWriter, env: MessageEnvelope): void {
  w.attempted({
    job: job(env, [0]),
    outcomes: [
      {
        index: 0,
        status: 'delivered',
        reply: { code: 250, lines: ['ok'] },
        address: env.recipients[0]!.address,
        stage: 9,
      },
    ],
    startedAt: 0,
    finishedAt: 1,
  });
}

test('outcomes queue behind the batch in flight; a failed batch is kept ahead of newer changes and retried on the timer', async () => {
  const backend = new HeldBackend();
  const clock = new ManualClock();
  const effects: OutcomeEffects[] = [];
  const w = new OutcomeWriter(backend, {
    clock,
    logger: silentLogger(),
    onCommitted: (e) => effects.push(e),
    retryMs: 1000,
  });
  const env = (i: number): MessageEnvelope => envelope(['a@example.test'], `M${i}`);
  delivered(w, env(0));
  await nextTurn();
  assert.equal(backend.outcomes.length, 1);
  delivered(w, env(1));
  delivered(w, env(2));
  await nextTurn();
  assert.equal(backend.outcomes.length, 1, 'one batch in flight at a time');
  backend.outcomes[0]!.settle(new PetrelError('PETREL_ERR_SPOOL_WRITE', 'busy', {}));
  await nextTurn();
  assert.equal(w.backlog, 3, 'the failed change waits with the newer ones');
  assert.equal(backend.outcomes.length, 1, 'nothing is sent before the retry timer');
  clock.advance(1000);
  assert.deepEqual(
    backend.outcomes[1]?.changes.map((c) => c.messageId),
    ['M0', 'M1', 'M2'],
    'in arrival order',
  );
  backend.outcomes[1]!.settle({ finished: 3, deleted: 3, bytes: 30 });
  assert.equal(await w.flush(), true);
  assert.deepEqual(effects, [{ finished: 3, deleted: 3, bytes: 30 }]);
  assert.equal(w.commitCount, 1);
});
