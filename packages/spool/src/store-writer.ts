/**
 * Group commit for spool.store: requests queue up during one event-loop turn and are committed
 * together in one transaction (one WAL fsync) on the next setImmediate, at most `maxBatch` per
 * transaction. A promise settles only after its transaction has committed or rolled back.
 */
import type { MessageEnvelope, StoreRequest } from '@petrel/core';
import { PetrelError } from '@petrel/core';
import type { SpoolDatabase } from './database.js';
import { isConstraintError, toSpoolError } from './sqlite-errors.js';

interface Pending {
  readonly envelope: MessageEnvelope;
  readonly body: Buffer;
  readonly resolve: () => void;
  readonly reject: (err: PetrelError) => void;
}

export interface StoreWriterOptions {
  readonly maxBatch: number;
  /** Called after each committed batch with the envelopes now durable, in request order. */
  readonly onCommitted: (envelopes: readonly MessageEnvelope[], bytes: number) => void;
  /** Test hook: runs inside the transaction before it commits; throwing rolls the batch back. */
  readonly beforeCommit?: (batchSize: number) => void;
}

export class StoreWriter {
  private queue: Pending[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private commits = 0;
  private readonly insertMessage;
  private readonly insertRecipient;
  private readonly commitBatch;

  constructor(
    private readonly db: SpoolDatabase,
    private readonly opts: StoreWriterOptions,
  ) {
    this.insertMessage = db.prepare<[string, string, number, number, Buffer]>(
      'INSERT INTO messages (id, envelope, received_at, size, body) VALUES (?, ?, ?, ?, ?)',
    );
    this.insertRecipient = db.prepare<[string, number]>(
      "INSERT INTO recipients (message_id, idx, status, attempts, next_attempt_at) VALUES (?, ?, 'pending', 0, 0)",
    );
    // A savepoint per message: a duplicate id fails that message alone, not its batch-mates.
    const insertOne = db.transaction((p: Pending) => {
      this.insertMessage.run(p.envelope.id, JSON.stringify(p.envelope), p.envelope.receivedAt, p.body.length, p.body);
      for (let i = 0; i < p.envelope.recipients.length; i++) this.insertRecipient.run(p.envelope.id, i);
    });
    this.commitBatch = db.transaction((batch: readonly Pending[]): Pending[] => {
      const rejected: Pending[] = [];
      for (const p of batch) {
        try {
          insertOne(p);
        } catch (err) {
          if (!isConstraintError(err)) throw err;
          rejected.push(p);
          p.reject(new PetrelError('PETREL_ERR_SPOOL_WRITE', `message id ${p.envelope.id} is already in the spool`, { id: p.envelope.id, reason: 'duplicate' }, { cause: err }));
        }
      }
      this.opts.beforeCommit?.(batch.length);
      return rejected;
    });
  }

  /** Queues one message; resolves once it is durable. The envelope already carries its id. */
  store(req: StoreRequest & { envelope: MessageEnvelope }): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ envelope: req.envelope, body: req.body, resolve, reject });
      this.scheduled ??= setImmediate(() => this.flush());
    });
  }

  /** Commits everything queued now (stop() and tests call it; otherwise the next turn does). */
  flush(): void {
    if (this.scheduled) {
      clearImmediate(this.scheduled);
      this.scheduled = undefined;
    }
    // Bounded: each pass removes up to maxBatch entries and nothing is queued while we run.
    while (this.queue.length > 0) {
      const batch = this.queue.length <= this.opts.maxBatch ? this.queue : this.queue.slice(0, this.opts.maxBatch);
      this.queue = batch === this.queue ? [] : this.queue.slice(this.opts.maxBatch);
      this.commitOne(batch);
    }
  }

  /** Rejects everything queued (the database is going away). */
  failAll(err: PetrelError): void {
    const queue = this.queue;
    this.queue = [];
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    for (const p of queue) p.reject(err);
  }

  get commitCount(): number {
    return this.commits;
  }

  private commitOne(batch: readonly Pending[]): void {
    let rejected: Pending[];
    try {
      rejected = this.commitBatch.immediate(batch);
    } catch (err) {
      // The transaction rolled back: nothing of this batch is stored, every sender gets 452.
      const error = toSpoolError(err, `spool commit of ${batch.length} message(s) failed`, { batch: batch.length });
      for (const p of batch) p.reject(error);
      return;
    }
    this.commits++;
    const done = rejected.length === 0 ? batch : batch.filter((p) => !rejected.includes(p));
    let bytes = 0;
    for (const p of done) {
      bytes += p.body.length;
      p.resolve();
    }
    this.opts.onCommitted(
      done.map((p) => p.envelope),
      bytes,
    );
  }
}
