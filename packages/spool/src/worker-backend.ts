/**
 * WriteBackend on a worker thread (write-worker.ts) that owns the only read-write connection: the
 * transactions and their fsync run on another core while the event loop keeps serving SMTP.
 * Requests go in order over one port and are answered in order.
 */
import { Worker } from 'node:worker_threads';
import { PetrelError } from '@petrel/core';
import type { WriteBackend } from './write-backend.js';
import { deserializeError, type WriteReply, type WriteRequest, type WriteWorkerInit } from './write-protocol.js';
import type { OutcomeChange, OutcomeEffects, RecordOp, StoreCommitResult, StoreItem } from './write-transactions.js';

export interface WorkerBackendOptions {
  /** The spool directory; the worker opens (and if needed creates) the database in it. */
  readonly dir: string;
  /**
   * Called once if the worker dies (uncaught error or exit) other than through close(): every
   * pending request has been rejected with PETREL_ERR_SPOOL_WRITE, and every later one will be.
   */
  readonly onFailure: (err: PetrelError) => void;
  /** The worker script. Default: write-worker.js beside this module; tests substitute a failing one. */
  readonly workerUrl?: URL;
}

interface Pending {
  readonly resolve: (reply: WriteReply) => void;
  readonly reject: (err: PetrelError) => void;
}

export class WorkerBackend implements WriteBackend {
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private failure: PetrelError | undefined;
  /** Set once close() has sent its request: later requests are refused, the exit is expected. */
  private closing: Promise<void> | undefined;
  private closed = false;

  private constructor(
    private readonly worker: Worker,
    private readonly opts: WorkerBackendOptions,
  ) {
    worker.on('message', (reply: WriteReply) => this.settle(reply));
    worker.on('messageerror', (err: Error) => this.fail('could not read a reply', err));
    worker.on('error', (err: Error) => this.fail('crashed', err));
    worker.on('exit', (code: number) => this.fail(`exited with code ${code}`));
    // Idle, the worker does not keep the process alive (an in-thread connection would not either).
    worker.unref();
  }

  /** Starts the worker and resolves once it has opened the database (rejects with its error if it could not). */
  static async start(opts: WorkerBackendOptions): Promise<WorkerBackend> {
    const init: WriteWorkerInit = { dir: opts.dir };
    const worker = new Worker(opts.workerUrl ?? new URL('./write-worker.js', import.meta.url), { workerData: init });
    try {
      await new Promise<void>((resolve, reject) => {
        const done = (err?: PetrelError): void => {
          worker.off('message', onMessage).off('error', onError).off('exit', onExit);
          if (err) reject(err);
          else resolve();
        };
        const onMessage = (reply: WriteReply): void => {
          if (reply.type === 'ready') done(reply.error ? deserializeError(reply.error) : undefined);
        };
        const onError = (err: Error): void =>
          done(
            new PetrelError(
              'PETREL_ERR_SPOOL_WRITE',
              `the spool write worker failed to start: ${err.message}`,
              { dir: opts.dir },
              { cause: err },
            ),
          );
        const onExit = (code: number): void =>
          done(
            new PetrelError(
              'PETREL_ERR_SPOOL_WRITE',
              `the spool write worker exited with code ${code} before opening the database`,
              { dir: opts.dir },
            ),
          );
        worker.on('message', onMessage).on('error', onError).on('exit', onExit);
      });
    } catch (err) {
      await worker.terminate();
      throw err;
    }
    return new WorkerBackend(worker, opts);
  }

  async commitStores(batch: readonly StoreItem[]): Promise<StoreCommitResult> {
    // One buffer for the whole batch, transferred rather than cloned: one copy per body, and the
    // caller's buffers (possibly views into larger ones) are neither detached nor cloned whole.
    let total = 0;
    for (const p of batch) total += p.body.byteLength;
    const bodies = new Uint8Array(total);
    const lengths: number[] = [];
    let offset = 0;
    for (const p of batch) {
      bodies.set(p.body, offset);
      offset += p.body.byteLength;
      lengths.push(p.body.byteLength);
    }
    const envelopes = batch.map((p) => p.envelope);
    const records = batch.map((p) => p.record ?? null);
    const reply = await this.send(
      (seq) => ({ type: 'store', seq, envelopes, bodies, lengths, records }),
      [bodies.buffer],
    );
    if (reply.type !== 'store' || !reply.result) throw protocolError(reply);
    return reply.result;
  }

  async applyOutcomes(changes: readonly OutcomeChange[]): Promise<OutcomeEffects> {
    const reply = await this.send((seq) => ({ type: 'outcomes', seq, changes }));
    if (reply.type !== 'outcomes' || !reply.result) throw protocolError(reply);
    return reply.result;
  }

  async applyRecords(ops: readonly RecordOp[]): Promise<number> {
    const reply = await this.send((seq) => ({ type: 'records', seq, ops }));
    if (reply.type !== 'records' || reply.result === undefined) throw protocolError(reply);
    return reply.result;
  }

  /** Lets the worker finish what was sent, close its connection cleanly, and end. */
  close(): Promise<void> {
    if (!this.closing) {
      const closeReply = this.failure ? Promise.resolve(undefined) : this.send((seq) => ({ type: 'close', seq }));
      this.closing = closeReply.then(
        () => this.terminate(),
        async (err: unknown) => {
          await this.terminate();
          throw err;
        },
      );
    }
    return this.closing;
  }

  private async terminate(): Promise<void> {
    this.closed = true;
    await this.worker.terminate();
  }

  private send(make: (seq: number) => WriteRequest, transfer: ArrayBuffer[] = []): Promise<WriteReply> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closing !== undefined)
      return Promise.reject(
        new PetrelError('PETREL_ERR_SPOOL_WRITE', 'the spool write worker is closing', { reason: 'stopped' }),
      );
    const req = make(++this.seq);
    return new Promise<WriteReply>((resolve, reject) => {
      this.pending.set(req.seq, { resolve, reject });
      if (this.pending.size === 1) this.worker.ref();
      this.worker.postMessage(req, transfer);
    });
  }

  private settle(reply: WriteReply): void {
    const p = this.pending.get(reply.seq);
    if (!p) return;
    this.pending.delete(reply.seq);
    if (this.pending.size === 0) this.worker.unref();
    if (reply.error) p.reject(deserializeError(reply.error));
    else p.resolve(reply);
  }

  private fail(what: string, cause?: unknown): void {
    if (this.closed || this.failure) return;
    const err = new PetrelError(
      'PETREL_ERR_SPOOL_WRITE',
      `the spool write worker ${what}${cause instanceof Error ? `: ${cause.message}` : ''}`,
      { reason: 'worker' },
      cause === undefined ? undefined : { cause },
    );
    this.failure = err;
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(err);
    this.opts.onFailure(err);
    // After an uncaught error the thread is already ending; after a bad reply, make sure it does.
    void this.worker.terminate();
  }
}

function protocolError(reply: WriteReply): PetrelError {
  return new PetrelError('PETREL_ERR_SPOOL_WRITE', `the spool write worker sent an unexpected ${reply.type} reply`, {
    reason: 'worker',
    seq: reply.seq,
  });
}
