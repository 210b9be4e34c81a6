/**
 * Replays unfinished mail at start. Reads the messages that existed when the replay began (rowid up
 * to the largest one then), in chunks by rowid, each chunk in its own short read transaction on a
 * second, read-only connection, and yields to the event loop between chunks: delivery of the first
 * messages starts while the rest are still being read, and memory stays bounded by one chunk.
 *
 * Messages stored during the replay get larger rowids (SQLite gives a new row the largest rowid + 1,
 * and the largest one at the start is only deleted once replayed, in the last chunk), so they are
 * not replayed a second time. One read transaction held across the whole replay did the same, but
 * a reader's snapshot keeps SQLite from ever restarting the WAL: at 10⁷ queued the replay takes most
 * of an hour, and the WAL grew by every write made meanwhile (delivery outcomes, deletions, new
 * mail: 886 MiB in the first 250 s of a restart with delivery allowed). Between chunks no snapshot
 * is held, so a checkpoint completes and journal_size_limit applies. A message replayed in an
 * earlier chunk may change meanwhile (delivered, deleted): a later chunk never reads it again.
 */
import type { Logger, MessageEnvelope, MessageSpooled, RecipientState, ReplyData } from '@petrel/core';
import type { SpoolDatabase } from './database.js';

/** What one replay did. */
export interface RecoveryResult {
  /** Messages published with recovered = true. */
  readonly messages: number;
  /** Pending recipients in them. */
  readonly recipients: number;
  /** Messages found with nothing pending, deleted instead of published. */
  readonly deleted: number;
  readonly durationMs: number;
  /** True when stop() cut the replay short. */
  readonly aborted: boolean;
}

export interface ReplayOptions {
  readonly reader: SpoolDatabase;
  readonly logger: Logger;
  readonly chunkSize: number;
  readonly publish: (event: MessageSpooled) => void;
  /**
   * Each message read, before it is published or purged: the spool's counts are built here
   * instead of by a count(*) and sum(size) over the whole table at start (minutes at 10⁷ messages).
   */
  readonly counted?: (bytes: number, pendingRecipients: number) => void;
  /** Deletes messages whose recipients are all finished (through the write backend); awaited before the next chunk. */
  readonly deleteFinished: (ids: readonly string[]) => Promise<void>;
  readonly shouldStop: () => boolean;
}

interface MessageRow {
  readonly rowid: number;
  readonly id: string;
  readonly envelope: string;
  readonly size: number;
}

interface RecipientRow {
  readonly idx: number;
  readonly status: string;
  readonly attempts: number;
  readonly next_attempt_at: number;
  readonly last_reply: string | null;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Most milliseconds one chunk may hold the event loop: a chunk ends early past it, so that the
 * control API, new connections and the first deliveries get their turn on a slow or busy machine.
 */
const SLICE_MS = 20;

export async function replay(opts: ReplayOptions): Promise<RecoveryResult> {
  const started = performance.now();
  const { reader } = opts;
  const chunk = reader.prepare<[number, number, number], MessageRow>(
    'SELECT rowid, id, envelope, size FROM messages WHERE rowid > ? AND rowid <= ? ORDER BY rowid LIMIT ?',
  );
  const recipientsOf = reader.prepare<[string], RecipientRow>(
    'SELECT idx, status, attempts, next_attempt_at, last_reply FROM recipients WHERE message_id = ? ORDER BY idx',
  );
  let messages = 0;
  let recipients = 0;
  let deleted = 0;
  let aborted = false;
  let after = 0;
  // The messages the replay owns: every one stored before it began.
  const upTo = reader.prepare<[], number | null>('SELECT max(rowid) FROM messages').pluck().get() ?? 0;
  for (;;) {
    if (opts.shouldStop()) {
      aborted = true;
      break;
    }
    let rows = 0;
    let cut = false;
    const finished: string[] = [];
    const sliceEnd = performance.now() + SLICE_MS;
    // One chunk, one read transaction: its messages and their recipients read consistently.
    reader.exec('BEGIN');
    try {
      for (const m of chunk.iterate(after, upTo, opts.chunkSize)) {
        if (rows > 0 && (rows & 15) === 0 && performance.now() > sliceEnd) {
          cut = true;
          break;
        }
        rows++;
        after = m.rowid;
        const pending = pendingOf(recipientsOf.all(m.id));
        opts.counted?.(m.size, pending.length);
        if (pending.length === 0) {
          finished.push(m.id);
          continue;
        }
        let envelope: MessageEnvelope;
        try {
          envelope = JSON.parse(m.envelope) as MessageEnvelope;
        } catch (err) {
          // Kept on disk for an operator to inspect; replaying a guess could misdeliver.
          opts.logger.error({ err, id: m.id }, 'spool: unreadable envelope, message not replayed');
          continue;
        }
        messages++;
        recipients += pending.length;
        opts.publish({ envelope, recovered: true, pending });
      }
    } finally {
      reader.exec('COMMIT');
    }
    if (finished.length > 0) {
      await opts.deleteFinished(finished);
      deleted += finished.length;
    }
    if (rows < opts.chunkSize && !cut) break;
    await nextTurn();
  }
  return { messages, recipients, deleted, durationMs: performance.now() - started, aborted };
}

function pendingOf(rows: readonly RecipientRow[]): RecipientState[] {
  const out: RecipientState[] = [];
  for (const r of rows) {
    if (r.status !== 'pending') continue;
    const base = { index: r.idx, attempts: r.attempts, nextAttemptAt: r.next_attempt_at };
    out.push(r.last_reply === null ? base : { ...base, lastReply: JSON.parse(r.last_reply) as ReplyData });
  }
  return out;
}
