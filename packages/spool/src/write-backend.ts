/**
 * Where the spool's writes run. The default, WorkerBackend, owns the read-write connection in a
 * worker thread so that commits (and their fsync) leave the event loop free to serve SMTP;
 * InlineBackend runs the same transactions on the calling thread (writer = 'inline').
 */
import { openSpoolDatabase, type SpoolDatabase } from './database.js';
import {
  createWriteTransactions,
  type OutcomeChange,
  type OutcomeEffects,
  type RecordOp,
  type StoreCommitResult,
  type StoreItem,
  type WriteTransactions,
} from './write-transactions.js';

/**
 * The spool's only way to change its database. Requests are applied in the order they are made,
 * so an outcome never overtakes the store of its message. A promise settles only after its
 * transaction committed (resolves) or rolled back (rejects with a PetrelError).
 */
export interface WriteBackend {
  /** Stores a batch in one transaction; duplicates are refused alone, any other failure rolls the whole batch back. */
  commitStores(batch: readonly StoreItem[]): Promise<StoreCommitResult>;
  /** Applies recipient changes in one transaction and deletes messages left with nothing pending. */
  applyOutcomes(changes: readonly OutcomeChange[]): Promise<OutcomeEffects>;
  /** Writes record changes in one fsync'd transaction; resolves with the rows changed. */
  applyRecords(ops: readonly RecordOp[]): Promise<number>;
  /** Waits for requests already made, then closes the read-write connection. */
  close(): Promise<void>;
}

/** Runs the transactions synchronously on this thread; the promises are settled when it returns. */
export class InlineBackend implements WriteBackend {
  private readonly tx: WriteTransactions;

  private constructor(private readonly db: SpoolDatabase) {
    this.tx = createWriteTransactions(db);
  }

  /** Opens (creating if needed) the spool database in `dir`. */
  static open(dir: string): InlineBackend {
    return new InlineBackend(openSpoolDatabase(dir));
  }

  commitStores(batch: readonly StoreItem[]): Promise<StoreCommitResult> {
    try {
      return Promise.resolve(this.tx.commitStores(batch));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  applyOutcomes(changes: readonly OutcomeChange[]): Promise<OutcomeEffects> {
    try {
      return Promise.resolve(this.tx.applyOutcomes(changes));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  applyRecords(ops: readonly RecordOp[]): Promise<number> {
    try {
      return Promise.resolve(this.tx.applyRecords(ops));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  close(): Promise<void> {
    if (this.db.open) this.db.close();
    return Promise.resolve();
  }
}
