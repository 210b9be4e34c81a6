import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { type PetrelError, isPetrelError } from '@petrel/core';
import { SPOOL_DB_FILE } from './database.js';
import { body, envelope, tempRoot } from './spool-fixture.js';
import { WorkerBackend } from './worker-backend.js';

test('the worker stores a batch durably, answers duplicates by index, applies outcomes and closes its connection', async (t) => {
  const tmp = tempRoot();
  t.after(() => tmp.cleanup());
  const failures: PetrelError[] = [];
  const backend = await WorkerBackend.start({ dir: tmp.spoolDir, onFailure: (e) => failures.push(e) });
  // A view into a larger buffer: only its own bytes are stored.
  const big = Buffer.concat([Buffer.from('XXXX'), body(1), Buffer.from('YYYY')]);
  const view = big.subarray(4, 4 + body(1).length);
  const first = await backend.commitStores([
    { envelope: envelope(['a@example.test'], 'A'), body: view },
    { envelope: envelope(['a@example.test'], 'A'), body: body(2) },
    { envelope: envelope(['a@example.test', 'b@example.test'], 'B'), body: body(3) },
  ]);
  assert.deepEqual(first, { rejected: [{ index: 1, reason: 'duplicate' }] });
  assert.equal(big.length, body(1).length + 8, "the caller's buffer is not detached");
  const reader = new Database(join(tmp.spoolDir, SPOOL_DB_FILE), { readonly: true });
  t.after(() => reader.close());
  assert.deepEqual(reader.prepare('SELECT body FROM messages WHERE id = ?').pluck().get('A'), body(1));
  const effects = await backend.applyOutcomes([
    { kind: 'finish', messageId: 'A', index: 0, status: 'delivered', reply: { code: 250, lines: ['ok'] } },
    { kind: 'finish', messageId: 'B', index: 0, status: 'failed', reply: { code: 550, lines: ['no'] } },
  ]);
  assert.deepEqual(effects, { finished: 2, deleted: 1, bytes: body(1).length });
  await backend.close();
  await assert.rejects(backend.commitStores([{ envelope: envelope(), body: body(4) }]), (e: unknown) =>
    isPetrelError(e, 'PETREL_ERR_SPOOL_WRITE'),
  );
  assert.deepEqual(failures, [], 'a requested close is not a failure');
});

test('a worker that dies rejects pending and later writes with SPOOL_WRITE and reports once; the process lives on', async (t) => {
  const tmp = tempRoot();
  t.after(() => tmp.cleanup());
  // Stands in for write-worker.js: says ready, then dies on the first request.
  const script = join(tmp.root, 'dying-worker.mjs');
  writeFileSync(
    script,
    `import { parentPort } from 'node:worker_threads';
parentPort.postMessage({ type: 'ready', seq: 0 });
parentPort.on('message', () => { throw new Error('simulated crash'); });
`,
  );
  const failures: PetrelError[] = [];
  const backend = await WorkerBackend.start({
    dir: tmp.spoolDir,
    onFailure: (e) => failures.push(e),
    workerUrl: pathToFileURL(script),
  });
  const results = await Promise.allSettled([
    backend.commitStores([{ envelope: envelope(), body: body(1) }]),
    backend.applyOutcomes([{ kind: 'purge', messageId: 'X' }]),
  ]);
  for (const r of results) {
    assert.equal(r.status, 'rejected');
    assert.ok(isPetrelError(r.reason, 'PETREL_ERR_SPOOL_WRITE'));
    assert.equal(r.reason.details.reason, 'worker');
  }
  await assert.rejects(backend.commitStores([{ envelope: envelope(), body: body(2) }]), (e: unknown) =>
    isPetrelError(e, 'PETREL_ERR_SPOOL_WRITE'),
  );
  assert.equal(failures.length, 1);
  assert.match(failures[0]!.message, /simulated crash/);
  await backend.close();
});

test('a database the worker cannot open fails start() with its PetrelError', async (t) => {
  const tmp = tempRoot();
  t.after(() => tmp.cleanup());
  const first = await WorkerBackend.start({ dir: tmp.spoolDir, onFailure: () => undefined });
  await first.close();
  const raw = new Database(join(tmp.spoolDir, SPOOL_DB_FILE));
  raw.pragma('user_version = 99');
  raw.close();
  await assert.rejects(
    WorkerBackend.start({ dir: tmp.spoolDir, onFailure: () => undefined }),
    (e: unknown) => isPetrelError(e, 'PETREL_ERR_SPOOL_WRITE') && e.details.version === 99,
  );
});
