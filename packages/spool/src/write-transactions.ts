/**
 * The spool's write transactions, the only SQL that changes the database. Both write backends
 * run exactly this code on the one read-write connection: the inline backend on the main thread,
 * the worker backend inside write-worker.ts.
 */
import type { MessageEnvelope, ReplyData } from '@petrel/core';
import type { SpoolDatabase } from './database.js';
import { isConstraintError, toSpoolError } from './sqlite-errors.js';

/** One message to store. The body is a plain Uint8Array so that it can cross to a worker. */
export interface StoreItem {
  readonly envelope: MessageEnvelope;
  readonly body: Uint8Array;
}

/** A store batch committed: the items refused alone (a duplicate id), by position in the batch. */
export interface StoreCommitResult {
  readonly rejected: readonly { readonly index: number; readonly reason: 'duplicate' }[];
}

/** One recipient change, in the order the events arrived. */
export type OutcomeChange =
  | {
      readonly kind: 'finish';
      readonly messageId: string;
      readonly index: number;
      readonly status: 'delivered' | 'failed';
      readonly reply: ReplyData;
    }
  | { readonly kind: 'attempt'; readonly messageId: string; readonly index: number; readonly reply: ReplyData }
  | {
      readonly kind: 'defer';
      readonly messageId: string;
      readonly index: number;
      readonly attempts: number;
      readonly nextAttemptAt: number;
      readonly reply: ReplyData;
    }
  /** Recovery found the message with nothing pending: delete it (only if that is still true). */
  | { readonly kind: 'purge'; readonly messageId: string };

export interface OutcomeEffects {
  /** Recipients that left the pending state. */
  readonly finished: number;
  /** Messages deleted, and their body bytes. */
  readonly deleted: number;
  readonly bytes: number;
}

export interface WriteTransactions {
  /** One IMMEDIATE transaction (one WAL fsync); throws a PetrelError (via toSpoolError) after a rollback. */
  commitStores(batch: readonly StoreItem[]): StoreCommitResult;
  /** One IMMEDIATE transaction at synchronous=NORMAL; throws a PetrelError after a rollback. */
  applyOutcomes(changes: readonly OutcomeChange[]): OutcomeEffects;
}

/** Prepares the write statements on `db` (the read-write connection). */
export function createWriteTransactions(db: SpoolDatabase): WriteTransactions {
  const insertMessage = db.prepare<[string, string, number, number, Uint8Array]>(
    'INSERT INTO messages (id, envelope, received_at, size, body) VALUES (?, ?, ?, ?, ?)',
  );
  const insertRecipient = db.prepare<[string, number]>(
    "INSERT INTO recipients (message_id, idx, status, attempts, next_attempt_at) VALUES (?, ?, 'pending', 0, 0)",
  );
  // A savepoint per message: a duplicate id fails that message alone, not its batch-mates.
  const insertOne = db.transaction((p: StoreItem) => {
    insertMessage.run(p.envelope.id, JSON.stringify(p.envelope), p.envelope.receivedAt, p.body.length, p.body);
    for (let i = 0; i < p.envelope.recipients.length; i++) insertRecipient.run(p.envelope.id, i);
  });
  const storeBatch = db.transaction((batch: readonly StoreItem[]): StoreCommitResult => {
    const rejected: { index: number; reason: 'duplicate' }[] = [];
    batch.forEach((p, index) => {
      try {
        insertOne(p);
      } catch (err) {
        if (!isConstraintError(err)) throw err;
        rejected.push({ index, reason: 'duplicate' });
      }
    });
    return { rejected };
  });

  const finish = db.prepare<[string, string, string, number]>(
    "UPDATE recipients SET status = ?, last_reply = ? WHERE message_id = ? AND idx = ? AND status = 'pending'",
  );
  const attempt = db.prepare<[string, string, number]>(
    'UPDATE recipients SET attempts = attempts + 1, last_reply = ? WHERE message_id = ? AND idx = ? AND status ' +
      "= 'pending'",
  );
  const defer = db.prepare<[number, number, string, string, number]>(
    'UPDATE recipients SET attempts = ?, next_attempt_at = ?, last_reply = ? WHERE message_id = ? AND idx = ? ' +
      "AND status = 'pending'",
  );
  const stillPending = db
    .prepare<[string]>("SELECT 1 FROM recipients WHERE message_id = ? AND status = 'pending' LIMIT 1")
    .pluck();
  const deleteMessage = db.prepare<[string], number>('DELETE FROM messages WHERE id = ? RETURNING size').pluck();
  const deleteRecipients = db.prepare<[string]>('DELETE FROM recipients WHERE message_id = ?');

  const outcomeBatch = db.transaction((changes: readonly OutcomeChange[]): OutcomeEffects => {
    let finished = 0;
    const touched = new Set<string>();
    for (const c of changes) {
      switch (c.kind) {
        case 'finish':
          finished += finish.run(c.status, JSON.stringify(c.reply), c.messageId, c.index).changes;
          touched.add(c.messageId);
          break;
        case 'attempt':
          attempt.run(JSON.stringify(c.reply), c.messageId, c.index);
          break;
        case 'defer':
          defer.run(c.attempts, c.nextAttemptAt, JSON.stringify(c.reply), c.messageId, c.index);
          break;
        case 'purge':
          touched.add(c.messageId);
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
    return { finished, deleted, bytes };
  });

  return {
    commitStores(batch) {
      try {
        return storeBatch.immediate(batch);
      } catch (err) {
        // The transaction rolled back: nothing of this batch is stored, every sender gets 452.
        throw toSpoolError(err, `spool commit of ${batch.length} message(s) failed`, { batch: batch.length });
      }
    },
    applyOutcomes(changes) {
      // Outcomes need no fsync of their own. In WAL mode a synchronous=NORMAL commit is appended
      // to the WAL unsynced; the next store batch's FULL commit (or a checkpoint) fsyncs the WAL and
      // with it these frames. A crash before that loses only outcomes, so those recipients are tried
      // again: at-least-once, as ARCHITECTURE.md allows. It halves the fsyncs under load (issue 9).
      db.pragma('synchronous = NORMAL');
      try {
        return outcomeBatch.immediate(changes);
      } catch (err) {
        throw toSpoolError(err, `spool outcome write of ${changes.length} change(s) failed`, {
          changes: changes.length,
        });
      } finally {
        db.pragma('synchronous = FULL');
      }
    },
  };
}
