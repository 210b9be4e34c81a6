/**
 * The spool's write transactions, the only SQL that changes the database. Both write backends
 * run exactly this code on the one read-write connection: the inline backend on the main thread,
 * the worker backend inside write-worker.ts.
 */
import type { MessageEnvelope, PetrelError, ReplyData, SpoolRecord } from '@petrel/core';
import type { SpoolDatabase } from './database.js';
import { isConstraintError, toSpoolError } from './sqlite-errors.js';

/** One message to store. The body is a plain Uint8Array so that it can cross to a worker. */
export interface StoreItem {
  readonly envelope: MessageEnvelope;
  readonly body: Uint8Array;
  /** Committed with the message, in its savepoint (StoreRequest.record). */
  readonly record?: SpoolRecord;
}

/**
 * A store batch committed: the items refused alone, by position in the batch ('duplicate': the
 * message id is taken; 'record': the item's record key is).
 */
export interface StoreCommitResult {
  readonly rejected: readonly { readonly index: number; readonly reason: 'duplicate' | 'record' }[];
}

/** A change to the records table (webhook cursors, idempotency expiry); `time` is the writer's clock. */
export type RecordOp =
  | { readonly kind: 'put'; readonly key: string; readonly value: string; readonly time: number }
  | { readonly kind: 'prune'; readonly prefix: string; readonly before: number };

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

/** One request of a group (commitGroup): what the worker received while the previous transaction ran. */
export type GroupRequest =
  | { readonly kind: 'store'; readonly batch: readonly StoreItem[] }
  | { readonly kind: 'outcomes'; readonly changes: readonly OutcomeChange[] }
  | { readonly kind: 'records'; readonly ops: readonly RecordOp[] };

/** Each request's own result, or the PetrelError that rolled back its part (or the whole group). */
export type GroupResult =
  | { readonly ok: true; readonly value: StoreCommitResult | OutcomeEffects | number }
  | { readonly ok: false; readonly error: PetrelError };

export interface WriteTransactions {
  /** One IMMEDIATE transaction (one WAL fsync); throws a PetrelError (via toSpoolError) after a rollback. */
  commitStores(batch: readonly StoreItem[]): StoreCommitResult;
  /** One IMMEDIATE transaction at synchronous=NORMAL; throws a PetrelError after a rollback. */
  applyOutcomes(changes: readonly OutcomeChange[]): OutcomeEffects;
  /** One IMMEDIATE transaction (fsync'd); returns the rows changed. */
  applyRecords(ops: readonly RecordOp[]): number;
  /**
   * Several requests in one IMMEDIATE transaction, each in its own savepoint: one commit and at most
   * one fsync (none when every request is outcomes) instead of one per request. A request that fails
   * rolls back its own part only, as it would alone; a failed commit fails them all. Results in order.
   */
  commitGroup(requests: readonly GroupRequest[]): GroupResult[];
}

/** Prepares the write statements on `db` (the read-write connection). */
export function createWriteTransactions(db: SpoolDatabase): WriteTransactions {
  const insertMessage = db.prepare<[string, string, number, number, Uint8Array]>(
    'INSERT INTO messages (id, envelope, received_at, size, body) VALUES (?, ?, ?, ?, ?)',
  );
  const insertRecipient = db.prepare<[string, number]>(
    "INSERT INTO recipients (message_id, idx, status, attempts, next_attempt_at) VALUES (?, ?, 'pending', 0, 0)",
  );
  const recordExists = db.prepare<[string]>('SELECT 1 FROM records WHERE key = ?').pluck();
  const insertRecord = db.prepare<[string, string, number]>(
    'INSERT INTO records (key, value, updated_at) VALUES (?, ?, ?)',
  );
  const putRecord = db.prepare<[string, string, number]>(
    'INSERT OR REPLACE INTO records (key, value, updated_at) VALUES (?, ?, ?)',
  );
  const pruneRecords = db.prepare<[string, string, number]>(
    'DELETE FROM records WHERE key >= ? AND key < ? AND updated_at < ?',
  );
  // A savepoint per message: a duplicate id fails that message alone, not its batch-mates.
  const insertOne = db.transaction((p: StoreItem) => {
    insertMessage.run(p.envelope.id, JSON.stringify(p.envelope), p.envelope.receivedAt, p.body.length, p.body);
    for (let i = 0; i < p.envelope.recipients.length; i++) insertRecipient.run(p.envelope.id, i);
    if (p.record) insertRecord.run(p.record.key, p.record.value, p.envelope.receivedAt);
  });
  const storeBatch = db.transaction((batch: readonly StoreItem[]): StoreCommitResult => {
    const rejected: { index: number; reason: 'duplicate' | 'record' }[] = [];
    batch.forEach((p, index) => {
      if (p.record && recordExists.get(p.record.key) !== undefined) {
        rejected.push({ index, reason: 'record' });
        return;
      }
      try {
        insertOne(p);
      } catch (err) {
        if (!isConstraintError(err)) throw err;
        rejected.push({ index, reason: 'duplicate' });
      }
    });
    return { rejected };
  });
  const recordBatch = db.transaction((ops: readonly RecordOp[]): number => {
    let changed = 0;
    for (const op of ops) {
      switch (op.kind) {
        case 'put':
          changed += putRecord.run(op.key, op.value, op.time).changes;
          break;
        case 'prune':
          // A key range rather than LIKE: a prefix may hold % or _ (U+FFFF sorts after every key character).
          changed += pruneRecords.run(op.prefix, `${op.prefix}\uffff`, op.before).changes;
          break;
        default: {
          const never: never = op;
          throw new Error(`unknown record op ${String(never)}`);
        }
      }
    }
    return changed;
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

  /** The error a request's failure is reported with: nothing of that request is stored. */
  const failure = (r: GroupRequest, err: unknown): PetrelError => {
    switch (r.kind) {
      case 'store':
        return toSpoolError(err, `spool commit of ${r.batch.length} message(s) failed`, { batch: r.batch.length });
      case 'outcomes':
        return toSpoolError(err, `spool outcome write of ${r.changes.length} change(s) failed`, {
          changes: r.changes.length,
        });
      case 'records':
        return toSpoolError(err, `spool record write of ${r.ops.length} change(s) failed`, { changes: r.ops.length });
    }
  };
  /** A request's batch function: alone (`top`) it opens an IMMEDIATE transaction; inside another, a savepoint. */
  const runBatch = (r: GroupRequest, top: boolean): StoreCommitResult | OutcomeEffects | number => {
    switch (r.kind) {
      case 'store':
        return top ? storeBatch.immediate(r.batch) : storeBatch(r.batch);
      case 'outcomes':
        return top ? outcomeBatch.immediate(r.changes) : outcomeBatch(r.changes);
      case 'records':
        return top ? recordBatch.immediate(r.ops) : recordBatch(r.ops);
    }
  };
  const group = db.transaction((requests: readonly GroupRequest[]): GroupResult[] =>
    requests.map((r) => {
      try {
        return { ok: true, value: runBatch(r, false) };
      } catch (err) {
        // SQLite may have rolled the whole transaction back itself (SQLITE_FULL, _IOERR, …): then
        // nothing of the group stands, and the outer function must fail rather than go on outside it.
        if (!db.inTransaction) throw err;
        return { ok: false, error: failure(r, err) };
      }
    }),
  );
  const commitGroup = (requests: readonly GroupRequest[]): GroupResult[] => {
    // Outcomes need no fsync of their own. In WAL mode a synchronous=NORMAL commit is appended
    // to the WAL unsynced; the next store batch's FULL commit (or a checkpoint) fsyncs the WAL and
    // with it these frames. A crash before that loses only outcomes, so those recipients are tried
    // again: at-least-once, as ARCHITECTURE.md allows. It halves the fsyncs under load (issue 9).
    // A store or a record change in the same transaction makes it durable (FULL).
    const durable = requests.some((r) => r.kind !== 'outcomes');
    if (!durable) db.pragma('synchronous = NORMAL');
    const only = requests.length === 1 ? requests[0] : undefined;
    try {
      // One request alone needs no savepoint.
      return only ? [{ ok: true, value: runBatch(only, true) }] : group.immediate(requests);
    } catch (err) {
      // The transaction rolled back: nothing of the group is stored (a store's senders get 452).
      return requests.map((r) => ({ ok: false, error: failure(r, err) }));
    } finally {
      if (!durable) db.pragma('synchronous = FULL');
    }
  };
  /** The value of a request committed alone, or its PetrelError thrown. */
  const alone = (r: GroupRequest): StoreCommitResult | OutcomeEffects | number => {
    const [result] = commitGroup([r]);
    if (!result?.ok) throw result?.error;
    return result.value;
  };

  return {
    commitGroup,
    commitStores: (batch) => alone({ kind: 'store', batch }) as StoreCommitResult,
    applyOutcomes: (changes) => alone({ kind: 'outcomes', changes }) as OutcomeEffects,
    applyRecords: (ops) => alone({ kind: 'records', ops }) as number,
  };
}
