/**
 * The spool database as the ShapingStore (core shaping.ts): shaping states (suspensions, throttles,
 * connection limits) and warm-up counters in two tables of spool.db, on a connection of their own
 * (WAL lets it write beside the spool's writer; a state change is rare and small). synchronous=FULL:
 * a state written is a state a `kill -9` keeps. A Redis-backed store can implement the same interface.
 *
 * A full disk must not undo an operator's action at the next restart (a `petrel resume` whose
 * delete is lost brings the suspension back). So a write that finds the disk full first takes the
 * spool's outcome reserve (writeWithReserve); one that still fails is kept, latest value per key,
 * and written with the next write or by a retry every `retryMs` until it lands. Until then only a
 * `kill -9` can lose it: nothing can be durable on a disk with no block to give.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  PetrelError,
  type Clock,
  type Logger,
  type ShapingState,
  type ShapingStore,
  type TimerHandle,
  type WarmupCounter,
} from '@petrel/core';
import { SPOOL_DB_FILE } from './database.js';
import { writeWithReserve, type ReleaseReserve } from './space-reserve.js';
import { toSpoolError } from './sqlite-errors.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS shaping_states (
  id    TEXT PRIMARY KEY,
  state TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS warmup_counters (
  key    TEXT PRIMARY KEY,
  window INTEGER NOT NULL,
  count  INTEGER NOT NULL
) WITHOUT ROWID;
`;

export interface ShapingStoreOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  /** The spool's outcome reserve; without it a write on a full disk waits for the retry. */
  readonly releaseReserve?: ReleaseReserve;
  /** Retry interval of writes that failed. Default 1000 ms (the outcome writer's). */
  readonly retryMs?: number;
}

/** A ShapingStore whose writes never throw: a failed one is kept and retried (`pending` counts them). */
export interface SpoolShapingStore extends ShapingStore {
  readonly pending: number;
}

/** Opens the store in spool_dir's spool.db (the spool must have created it: open after the spool starts). */
export function openShapingStore(dir: string, opts: ShapingStoreOptions): SpoolShapingStore {
  const file = join(dir, SPOOL_DB_FILE);
  let db: Database.Database;
  try {
    db = new Database(file, { fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    db.pragma('synchronous = FULL');
    db.exec(SCHEMA);
  } catch (err) {
    throw new PetrelError(
      'PETREL_ERR_SPOOL_WRITE',
      `cannot open the shaping state tables in ${file}: ${(err as Error).message}`,
      { file },
      { cause: err },
    );
  }
  return new SqliteShapingStore(db, opts);
}

class SqliteShapingStore implements SpoolShapingStore {
  /** Writes not on disk yet, the latest per key: a state to put, or null to delete. */
  private readonly states = new Map<string, ShapingState | null>();
  private readonly counters = new Map<string, WarmupCounter>();
  private retry: TimerHandle | undefined;
  /** Failed tries in the current episode (0 = every write landed). */
  private failures = 0;
  private readonly commit: (states: readonly [string, ShapingState | null][], counters: WarmupCounter[]) => void;
  private readonly all: Database.Statement;
  private readonly allCounters: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    private readonly opts: ShapingStoreOptions,
  ) {
    const put = db.prepare('INSERT OR REPLACE INTO shaping_states (id, state) VALUES (?, ?)');
    const del = db.prepare('DELETE FROM shaping_states WHERE id = ?');
    const putCounter = db.prepare('INSERT OR REPLACE INTO warmup_counters (key, window, count) VALUES (?, ?, ?)');
    this.all = db.prepare('SELECT id, state FROM shaping_states');
    this.allCounters = db.prepare('SELECT key, window, count FROM warmup_counters');
    // One transaction (one fsync) for everything pending: kept writes land with the next one.
    this.commit = db.transaction((states, counters) => {
      for (const [id, s] of states) {
        if (s === null) del.run(id);
        else put.run(id, JSON.stringify(s));
      }
      for (const c of counters) putCounter.run(c.key, c.window, c.count);
    });
  }

  get pending(): number {
    return this.states.size + this.counters.size;
  }

  /** What is stored, with the writes still pending applied (they are the newer word). */
  loadStates(): readonly ShapingState[] {
    const rows = new Map<string, ShapingState>();
    for (const r of this.all.all() as { id: string; state: string }[]) rows.set(r.id, JSON.parse(r.state));
    for (const [id, s] of this.states) {
      if (s === null) rows.delete(id);
      else rows.set(id, s);
    }
    return [...rows.values()];
  }

  loadCounters(): readonly WarmupCounter[] {
    const rows = new Map<string, WarmupCounter>();
    for (const c of this.allCounters.all() as WarmupCounter[]) rows.set(c.key, c);
    for (const [key, c] of this.counters) rows.set(key, c);
    return [...rows.values()];
  }

  putState(state: ShapingState): void {
    this.states.set(state.id, state);
    this.write();
  }

  deleteState(id: string): void {
    this.states.set(id, null);
    this.write();
  }

  putCounters(list: readonly WarmupCounter[]): void {
    for (const c of list) this.counters.set(c.key, c);
    this.write();
  }

  /** A last try for what is pending, then the connection closes; what still fails is lost (logged). */
  close(): void {
    this.opts.clock.clearTimer(this.retry);
    this.retry = undefined;
    if (this.pending > 0 && !this.write()) {
      this.opts.clock.clearTimer(this.retry);
      this.retry = undefined;
      this.opts.logger.error(
        { states: [...this.states.keys()], counters: this.counters.size },
        'shaping store closed with unwritten changes: a restart restores the states as last written',
      );
    }
    this.db.close();
  }

  /** Writes everything pending; on failure keeps it and retries. True when it all landed. */
  private write(): boolean {
    const states = [...this.states];
    const counters = [...this.counters.values()];
    try {
      writeWithReserve(() => this.commit(states, counters), this.opts.releaseReserve);
    } catch (err) {
      this.failed(err);
      return false;
    }
    // Synchronous: nothing was added between the snapshot and the commit.
    this.states.clear();
    this.counters.clear();
    this.opts.clock.clearTimer(this.retry);
    this.retry = undefined;
    if (this.failures > 0) {
      this.opts.logger.warn({ tries: this.failures + 1 }, 'shaping store: the kept changes are written');
      this.failures = 0;
    }
    return true;
  }

  private failed(err: unknown): void {
    // One line per episode: a full disk would otherwise log every second.
    if (this.failures++ === 0) {
      this.opts.logger.error(
        {
          err: toSpoolError(err, 'shaping store write failed'),
          states: this.states.size,
          counters: this.counters.size,
        },
        'shaping store write failed: the changes are kept in memory and retried until they are written',
      );
    }
    this.retry ??= this.opts.clock.setTimer(this.opts.retryMs ?? 1000, () => {
      this.retry = undefined;
      this.write();
    });
  }
}
