/**
 * The spool's write thread (started by WorkerBackend): owns the only read-write connection and
 * runs the shared write transactions, one request at a time in arrival order. A reply is posted
 * only after its transaction returned, i.e. after the commit's fsync.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openSpoolDatabase, type SpoolDatabase } from './database.js';
import { serializeError, type WriteReply, type WriteRequest, type WriteWorkerInit } from './write-protocol.js';
import { createWriteTransactions, type StoreItem } from './write-transactions.js';

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
  port.on('message', (req: WriteRequest) => {
    switch (req.type) {
      case 'store': {
        const items: StoreItem[] = [];
        let offset = 0;
        req.envelopes.forEach((envelope, i) => {
          const length = req.lengths[i] ?? 0;
          const record = req.records[i];
          items.push({ envelope, body: req.bodies.subarray(offset, offset + length), ...(record ? { record } : {}) });
          offset += length;
        });
        try {
          reply({ type: 'store', seq: req.seq, result: tx.commitStores(items) });
        } catch (err) {
          reply({ type: 'store', seq: req.seq, error: serializeError(err) });
        }
        break;
      }
      case 'outcomes':
        try {
          reply({ type: 'outcomes', seq: req.seq, result: tx.applyOutcomes(req.changes) });
        } catch (err) {
          reply({ type: 'outcomes', seq: req.seq, error: serializeError(err) });
        }
        break;
      case 'records':
        try {
          reply({ type: 'records', seq: req.seq, result: tx.applyRecords(req.ops) });
        } catch (err) {
          reply({ type: 'records', seq: req.seq, error: serializeError(err) });
        }
        break;
      case 'close':
        try {
          open.close();
          reply({ type: 'close', seq: req.seq });
        } catch (err) {
          reply({ type: 'close', seq: req.seq, error: serializeError(err) });
        }
        // The backend terminates this thread on the reply.
        break;
      default: {
        const never: never = req;
        throw new Error(`unknown write request ${JSON.stringify(never)}`);
      }
    }
  });
}
