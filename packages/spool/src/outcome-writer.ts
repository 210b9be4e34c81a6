/**
 * Persists delivery outcomes. Events are queued; one write transaction is in flight at a time on
 * the write backend, and what queued meanwhile goes as the next one (an idle writer waits for the
 * end of the turn to gather it). Nothing waits for them, and a crash loses at most the last
 * batches, which only means those recipients are tried again (at-least-once). When a message has
 * no pending recipient left, its row (body included) and its recipients are deleted.
 */
import {
  isPetrelError,
  type Clock,
  type DeliveryAttempt,
  type DeliveryDeferred,
  type DeliveryFailed,
  type Logger,
  type RecipientOutcome,
  type TimerHandle,
} from '@petrel/core';
import type { WriteBackend } from './write-backend.js';
import { toSpoolError } from './sqlite-errors.js';
import type { OutcomeChange, OutcomeEffects } from './write-transactions.js';

export interface OutcomeWriterOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly onCommitted: (effects: OutcomeEffects) => void;
  /** Changes kept for retry after a failed write; beyond this the oldest are dropped (and retried by redelivery). */
  readonly maxBacklog?: number;
  readonly retryMs?: number;
  /**
   * Called when a write failed because the disk is full; returns true when it freed space (the
   * spool's reserve), and the write is then retried at once instead of after retryMs.
   */
  readonly onFull?: () => boolean;
}

export class OutcomeWriter {
  private queue: OutcomeChange[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private retryTimer: TimerHandle | undefined;
  /** The batch on the backend: settles true when committed, false when rolled back (kept for retry). */
  private inFlight: Promise<boolean> | undefined;
  private closed = false;
  private commits = 0;
  /** Set when a failed write released the reserve: the retry goes at once. */
  private retryNow = false;

  constructor(
    private readonly backend: WriteBackend,
    private readonly opts: OutcomeWriterOptions,
  ) {}

  /**
   * delivery.attempted: delivered/permanent finish the recipient; transient counts an attempt.
   * `which` picks the outcomes written now (the spool holds those awaiting a DSN).
   */
  attempted(a: DeliveryAttempt, which?: (o: RecipientOutcome) => boolean): void {
    const messageId = a.job.messageId;
    for (const o of a.outcomes) {
      if (which && !which(o)) continue;
      switch (o.status) {
        case 'delivered':
          this.push({ kind: 'finish', messageId, index: o.index, status: 'delivered', reply: o.reply });
          break;
        case 'permanent':
          this.push({ kind: 'finish', messageId, index: o.index, status: 'failed', reply: o.reply });
          break;
        case 'transient':
          this.push({ kind: 'attempt', messageId, index: o.index, reply: o.reply });
          break;
        default: {
          const never: never = o.status;
          this.opts.logger.warn({ status: never }, 'unknown outcome status ignored');
        }
      }
    }
  }

  /** delivery.deferred: the queue's retry schedule for the job's recipients. */
  deferred(d: DeliveryDeferred): void {
    for (const r of d.job.recipients) {
      this.push({
        kind: 'defer',
        messageId: d.job.messageId,
        index: r.index,
        attempts: d.attempts,
        nextAttemptAt: d.nextAttemptAt,
        reply: d.reply,
      });
    }
  }

  /** delivery.failed: expiry or policy; those recipients are done. */
  failed(f: DeliveryFailed): void {
    for (const index of f.indexes)
      this.push({ kind: 'finish', messageId: f.job.messageId, index, status: 'failed', reply: f.reply });
  }

  /** Recovery: delete these messages, found with no pending recipient, if that is still so when written. */
  purge(ids: readonly string[]): void {
    for (const messageId of ids) this.push({ kind: 'purge', messageId });
  }

  /**
   * Writes every change queued so far (after the batch in flight, if any). Resolves false when a
   * write failed (its changes are kept for retry), true when everything is written.
   */
  async flush(): Promise<boolean> {
    this.cancelTimers();
    for (;;) {
      const current = this.inFlight ?? (this.queue.length > 0 ? this.sendNext() : undefined);
      if (!current) return true;
      if (!(await current)) {
        // The reserve was just released for this failure: one more try right now (release frees
        // space only once, so this cannot loop).
        if (!this.retryNow || this.closed) return false;
        this.retryNow = false;
        this.cancelTimers();
      }
    }
  }

  get commitCount(): number {
    return this.commits;
  }

  get backlog(): number {
    return this.queue.length;
  }

  /** Stops retrying and sending; whatever is still queued is lost (redelivered after restart). */
  close(): void {
    this.closed = true;
    this.cancelTimers();
  }

  private push(c: OutcomeChange): void {
    this.queue.push(c);
    if (this.inFlight === undefined && !this.closed) this.scheduled ??= setImmediate(() => void this.sendNext());
  }

  private cancelTimers(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    this.opts.clock.clearTimer(this.retryTimer);
    this.retryTimer = undefined;
  }

  /** Sends the whole queue as one batch unless one is in flight; returns the batch's settlement. */
  private sendNext(): Promise<boolean> {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    this.retryNow = false;
    if (this.inFlight !== undefined) return this.inFlight;
    const changes = this.queue;
    this.queue = [];
    const batch = this.write(changes);
    this.inFlight = batch;
    return batch;
  }

  private async write(changes: OutcomeChange[]): Promise<boolean> {
    let effects: OutcomeEffects;
    try {
      effects = await this.backend.applyOutcomes(changes);
    } catch (err) {
      this.inFlight = undefined;
      this.keepForRetry(changes, err);
      return false;
    }
    this.inFlight = undefined;
    this.commits++;
    try {
      this.opts.onCommitted(effects);
    } finally {
      // What queued during the write goes now, as one batch.
      if (this.queue.length > 0 && !this.closed) void this.sendNext();
    }
    return true;
  }

  private keepForRetry(changes: OutcomeChange[], err: unknown): void {
    const max = this.opts.maxBacklog ?? 1_000_000;
    const merged = changes.concat(this.queue);
    const dropped = Math.max(0, merged.length - max);
    this.queue = dropped > 0 ? merged.slice(dropped) : merged;
    const error = toSpoolError(err, 'outcome write failed');
    // A full disk: the spool's reserve makes room for exactly these writes; retry on it at once.
    const freed = isPetrelError(error, 'PETREL_ERR_SPOOL_FULL') && this.opts.onFull?.() === true;
    this.opts.logger.error(
      { err: error, changes: changes.length, dropped, reserveReleased: freed || undefined },
      freed
        ? 'spool could not persist delivery outcomes: disk full; released the outcome reserve and retrying'
        : 'spool could not persist delivery outcomes; retrying',
    );
    if (this.closed) return;
    if (freed) {
      this.retryNow = true;
      this.scheduled ??= setImmediate(() => void this.sendNext());
      return;
    }
    this.retryTimer ??= this.opts.clock.setTimer(this.opts.retryMs ?? 1000, () => {
      this.retryTimer = undefined;
      void this.flush();
    });
  }
}
