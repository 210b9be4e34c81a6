/**
 * The spool's write thread (started by WorkerBackend): owns the only read-write connection and
 * runs the shared write transactions in arrival order, the requests waiting in its port together
 * (WriteTransactions.commitGroup). A reply is posted only after its transaction returned, i.e.
 * after the commit's fsync.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { openSpoolDatabase, type SpoolDatabase } from './database.js';
import { serializeError, type WriteReply, type WriteRequest, type WriteWorkerInit } from './write-protocol.js';
import {
  createWriteTransactions,
  type GroupRequest,
  type GroupResult,
  type OutcomeEffects,
  type StoreCommitResult,
  type StoreItem,
} from './write-transactions.js';

const port = parentPort;
if (!port) throw new Error('write-worker.js runs only as a worker thread of the spool');
const { dir } = workerData as WriteWorkerInit;
const reply = (r: WriteReply): void => port.postMessage(r);

let db: SpoolDatabase | undefined;
try {
  db = openSpoolDatabase(dir);
} catch (err) {
  // The backend terminates this thread when it reads the error.
  reply({ type: 'ready', seq: 0, error: serializeError(err) });
}

if (db) {
  const open = db;
  const tx = createWriteTransactions(open);
  reply({ type: 'ready', seq: 0 });
  /** A store request's items: the bodies cut back out of their one transferred buffer. */
  const storeItems = (req: Extract<WriteRequest, { type: 'store' }>): StoreItem[] => {
    const items: StoreItem[] = [];
    let offset = 0;
    req.envelopes.forEach((envelope, i) => {
      const length = req.lengths[i] ?? 0;
      const record = req.records[i];
      items.push({ envelope, body: req.bodies.subarray(offset, offset + length), ...(record ? { record } : {}) });
      offset += length;
    });
    return items;
  };
  const asGroupRequest = (req: Exclude<WriteRequest, { type: 'close' }>): GroupRequest => {
    switch (req.type) {
      case 'store':
        return { kind: 'store', batch: storeItems(req) };
      case 'outcomes':
        return { kind: 'outcomes', changes: req.changes };
      case 'records':
        return { kind: 'records', ops: req.ops };
    }
  };
  const replyTo = (req: Exclude<WriteRequest, { type: 'close' }>, r: GroupResult): void => {
    if (!r.ok) reply({ type: req.type, seq: req.seq, error: serializeError(r.error) });
    else if (req.type === 'store') reply({ type: 'store', seq: req.seq, result: r.value as StoreCommitResult });
    else if (req.type === 'outcomes') reply({ type: 'outcomes', seq: req.seq, result: r.value as OutcomeEffects });
    else reply({ type: 'records', seq: req.seq, result: r.value as number });
  };
  const run = (reqs: readonly Exclude<WriteRequest, { type: 'close' }>[]): void => {
    if (reqs.length === 0) return;
    const results = tx.commitGroup(reqs.map(asGroupRequest));
    for (const [i, req] of reqs.entries()) replyTo(req, results[i] as GroupResult);
  };
  const close = (req: Extract<WriteRequest, { type: 'close' }>): void => {
    try {
      open.close();
      reply({ type: 'close', seq: req.seq });
    } catch (err) {
      reply({ type: 'close', seq: req.seq, error: serializeError(err) });
    }
    // The backend terminates this thread on the reply.
  };
  port.on('message', (first: WriteRequest) => {
    // Requests that arrived while the last transaction ran share the next one: a store batch and an
    // outcome batch waiting together take one commit (one WAL append of the pages both touch, at
    // most one fsync). Replies still go one per request, in order.
    const waiting: WriteRequest[] = [first];
    for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port))
      waiting.push(m.message as WriteRequest);
    let group: Exclude<WriteRequest, { type: 'close' }>[] = [];
    for (const req of waiting) {
      if (req.type !== 'close') {
        group.push(req);
        continue;
      }
      run(group);
      group = [];
      close(req);
      return;
    }
    run(group);
  });
}
