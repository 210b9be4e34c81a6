/**
 * Group commit for spool.store. One batch is in flight at a time: while its transaction (and its
 * fsync) runs on the write backend, new requests queue; when it settles, everything queued goes
 * as the next batch (at most `maxBatch`). So batches grow with load instead of being one per
 * event-loop turn. An idle writer waits for the end of the current turn before sending, to gather
 * that turn's requests. A promise settles only after its transaction committed or rolled back.
 */
import type { MessageEnvelope, SpoolRecord, StoreRequest } from '@petrel/core';
import { PetrelError } from '@petrel/core';
import type { WriteBackend } from './write-backend.js';
import type { StoreCommitResult } from './write-transactions.js';

interface Pending {
  readonly envelope: MessageEnvelope;
  readonly body: Buffer;
  readonly record?: SpoolRecord;
  readonly resolve: () => void;
  readonly reject: (err: PetrelError) => void;
}

export interface StoreWriterOptions {
  readonly maxBatch: number;
  /** Called after each committed batch with the envelopes now durable, in request order. */
  readonly onCommitted: (envelopes: readonly MessageEnvelope[], bytes: number, bodies: readonly Buffer[]) => void;
}

export class StoreWriter {
  private queue: Pending[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private inFlight = false;
  private commits = 0;
  /** Requests queued and settled since start; flush() waits for `settled` to reach a mark. */
  private enqueued = 0;
  private settled = 0;
  private waiters: { readonly mark: number; readonly resolve: () => void }[] = [];

  constructor(
    private readonly backend: WriteBackend,
    private readonly opts: StoreWriterOptions,
  ) {}

  /** Queues one message; resolves once it is durable. The envelope already carries its id. */
  store(req: StoreRequest & { envelope: MessageEnvelope }): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const record = req.record ? { record: req.record } : {};
      this.queue.push({ envelope: req.envelope, body: req.body, ...record, resolve, reject });
      this.enqueued++;
      if (!this.inFlight) this.scheduled ??= setImmediate(() => this.sendNext());
    });
  }

  /** Resolves when everything queued so far has committed or failed (stop() and tests). */
  flush(): Promise<void> {
    const mark = this.enqueued;
    if (this.settled >= mark) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.waiters.push({ mark, resolve }));
    this.sendNext();
    return done;
  }

  /** Rejects everything queued and not yet sent (the database is going away). */
  failAll(err: PetrelError): void {
    const queue = this.queue;
    this.queue = [];
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    for (const p of queue) p.reject(err);
    this.noteSettled(queue.length);
  }

  get commitCount(): number {
    return this.commits;
  }

  private sendNext(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (this.inFlight || this.queue.length === 0) return;
    const batch = this.queue.length <= this.opts.maxBatch ? this.queue : this.queue.slice(0, this.opts.maxBatch);
    this.queue = batch === this.queue ? [] : this.queue.slice(this.opts.maxBatch);
    this.inFlight = true;
    this.backend.commitStores(batch).then(
      (result) => this.committed(batch, result),
      (err: unknown) => this.rolledBack(batch, err),
    );
  }

  private committed(batch: readonly Pending[], result: StoreCommitResult): void {
    this.commits++;
    const refused = new Set<number>();
    for (const r of result.rejected) {
      const p = batch[r.index];
      if (!p) continue;
      refused.add(r.index);
      if (r.reason === 'record') {
        p.reject(
          new PetrelError('PETREL_ERR_SPOOL_RECORD_EXISTS', `spool record ${p.record?.key} is already stored`, {
            id: p.envelope.id,
            key: p.record?.key,
          }),
        );
        continue;
      }
      p.reject(
        new PetrelError('PETREL_ERR_SPOOL_WRITE', `message id ${p.envelope.id} is already in the spool`, {
          id: p.envelope.id,
          reason: r.reason,
        }),
      );
    }
    const done = refused.size === 0 ? batch : batch.filter((_, i) => !refused.has(i));
    let bytes = 0;
    for (const p of done) {
      bytes += p.body.length;
      p.resolve();
    }
    try {
      this.opts.onCommitted(
        done.map((p) => p.envelope),
        bytes,
        done.map((p) => p.body),
      );
    } finally {
      this.batchSettled(batch.length);
    }
  }

  private rolledBack(batch: readonly Pending[], err: unknown): void {
    // Nothing of this batch is stored: every sender gets 452. The backend's errors are PetrelErrors.
    const error =
      err instanceof PetrelError
        ? err
        : new PetrelError('PETREL_ERR_SPOOL_WRITE', `spool commit failed: ${String(err)}`, { batch: batch.length });
    for (const p of batch) p.reject(error);
    this.batchSettled(batch.length);
  }

  private batchSettled(n: number): void {
    this.inFlight = false;
    this.noteSettled(n);
    // Whatever queued during the commit goes now, as one batch.
    this.sendNext();
  }

  private noteSettled(n: number): void {
    this.settled += n;
    if (this.waiters.length === 0) return;
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) {
      if (this.settled >= w.mark) w.resolve();
      else this.waiters.push(w);
    }
  }
}
