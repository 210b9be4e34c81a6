/**
 * Persists delivery outcomes. Events are queued and applied in one write transaction per
 * event-loop turn; nothing waits for them, and a crash loses at most the last turn's outcomes,
 * which only means those recipients are tried again (at-least-once). When a message has no
 * pending recipient left, its row (body included) and its recipients are deleted.
 */
import type { Clock, DeliveryAttempt, DeliveryDeferred, DeliveryFailed, Logger, ReplyData, TimerHandle } from '@petrel/core';
import type { SpoolDatabase } from './database.js';
import { toSpoolError } from './sqlite-errors.js';

/** One recipient change, in the order the events arrived. */
type Change =
  | { readonly kind: 'finish'; readonly messageId: string; readonly index: number; readonly status: 'delivered' | 'failed'; readonly reply: ReplyData }
  | { readonly kind: 'attempt'; readonly messageId: string; readonly index: number; readonly reply: ReplyData }
  | { readonly kind: 'defer'; readonly messageId: string; readonly index: number; readonly attempts: number; readonly nextAttemptAt: number; readonly reply: ReplyData };

export interface OutcomeEffects {
  /** Recipients that left the pending state. */
  readonly finished: number;
  /** Messages deleted, and their body bytes. */
  readonly deleted: number;
  readonly bytes: number;
}

export interface OutcomeWriterOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly onCommitted: (effects: OutcomeEffects) => void;
  /** Changes kept for retry after a failed write; beyond this the oldest are dropped (and retried by redelivery). */
  readonly maxBacklog?: number;
  readonly retryMs?: number;
  /** Test hook: runs inside the transaction before it commits; throwing rolls it back. */
  readonly beforeCommit?: () => void;
}

export class OutcomeWriter {
  private queue: Change[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private retryTimer: TimerHandle | undefined;
  private commits = 0;
  private readonly apply;

  constructor(
    private readonly db: SpoolDatabase,
    private readonly opts: OutcomeWriterOptions,
  ) {
    const finish = db.prepare<[string, string, string, number]>(
      "UPDATE recipients SET status = ?, last_reply = ? WHERE message_id = ? AND idx = ? AND status = 'pending'",
    );
    const attempt = db.prepare<[string, string, number]>(
      "UPDATE recipients SET attempts = attempts + 1, last_reply = ? WHERE message_id = ? AND idx = ? AND status = 'pending'",
    );
    const defer = db.prepare<[number, number, string, string, number]>(
      "UPDATE recipients SET attempts = ?, next_attempt_at = ?, last_reply = ? WHERE message_id = ? AND idx = ? AND status = 'pending'",
    );
    const stillPending = db.prepare<[string]>("SELECT 1 FROM recipients WHERE message_id = ? AND status = 'pending' LIMIT 1").pluck();
    const deleteMessage = db.prepare<[string], number>('DELETE FROM messages WHERE id = ? RETURNING size').pluck();
    const deleteRecipients = db.prepare<[string]>('DELETE FROM recipients WHERE message_id = ?');

    this.apply = db.transaction((changes: readonly Change[]): OutcomeEffects => {
      let finished = 0;
      const touched = new Set<string>();
      for (const c of changes) {
        const reply = JSON.stringify(c.reply);
        switch (c.kind) {
          case 'finish':
            finished += finish.run(c.status, reply, c.messageId, c.index).changes;
            touched.add(c.messageId);
            break;
          case 'attempt':
            attempt.run(reply, c.messageId, c.index);
            break;
          case 'defer':
            defer.run(c.attempts, c.nextAttemptAt, reply, c.messageId, c.index);
            break;
          default: {
            const never: never = c;
            throw new Error(`unknown change ${String(never)}`);
          }
        }
      }
      let deleted = 0;
      let bytes = 0;
      for (const id of touched) {
        if (stillPending.get(id) !== undefined) continue;
        const size = deleteMessage.get(id);
        deleteRecipients.run(id);
        if (size !== undefined) {
          deleted++;
          bytes += size;
        }
      }
      this.opts.beforeCommit?.();
      return { finished, deleted, bytes };
    });
  }

  /** delivery.attempted: delivered/permanent finish the recipient; transient counts an attempt. */
  attempted(a: DeliveryAttempt): void {
    const messageId = a.job.messageId;
    for (const o of a.outcomes) {
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
      this.push({ kind: 'defer', messageId: d.job.messageId, index: r.index, attempts: d.attempts, nextAttemptAt: d.nextAttemptAt, reply: d.reply });
    }
  }

  /** delivery.failed: expiry or policy; those recipients are done. */
  failed(f: DeliveryFailed): void {
    for (const index of f.indexes) this.push({ kind: 'finish', messageId: f.job.messageId, index, status: 'failed', reply: f.reply });
  }

  /** Writes every queued change now. Returns false when the write failed (changes kept for retry). */
  flush(): boolean {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    this.opts.clock.clearTimer(this.retryTimer);
    this.retryTimer = undefined;
    if (this.queue.length === 0) return true;
    const changes = this.queue;
    this.queue = [];
    let effects: OutcomeEffects;
    // Outcomes need no fsync of their own. In WAL mode a synchronous=NORMAL commit is appended
    // to the WAL unsynced; the next store batch's FULL commit (or a checkpoint) fsyncs the WAL and
    // with it these frames. A crash before that loses only outcomes, so those recipients are tried
    // again: at-least-once, as ARCHITECTURE.md allows. It halves the fsyncs under load (issue 9).
    this.db.pragma('synchronous = NORMAL');
    try {
      effects = this.apply.immediate(changes);
    } catch (err) {
      this.keepForRetry(changes, err);
      return false;
    } finally {
      this.db.pragma('synchronous = FULL');
    }
    this.commits++;
    this.opts.onCommitted(effects);
    return true;
  }

  get commitCount(): number {
    return this.commits;
  }

  get backlog(): number {
    return this.queue.length;
  }

  /** Stops retrying; whatever is still queued is lost (redelivered after restart). */
  close(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    this.opts.clock.clearTimer(this.retryTimer);
    this.retryTimer = undefined;
  }

  private push(c: Change): void {
    this.queue.push(c);
    this.scheduled ??= setImmediate(() => this.flush());
  }

  private keepForRetry(changes: Change[], err: unknown): void {
    const max = this.opts.maxBacklog ?? 1_000_000;
    const merged = changes.concat(this.queue);
    const dropped = Math.max(0, merged.length - max);
    this.queue = dropped > 0 ? merged.slice(dropped) : merged;
    this.opts.logger.error(
      { err: toSpoolError(err, 'outcome write failed'), changes: changes.length, dropped },
      'spool could not persist delivery outcomes; retrying',
    );
    this.retryTimer ??= this.opts.clock.setTimer(this.opts.retryMs ?? 1000, () => {
      this.retryTimer = undefined;
      this.flush();
    });
  }
}
