/**
 * Where the queue keeps the jobs beyond its resident window (Momentum's `max_resident_active_queue`
 * and `max_resident_messages`, reference §3): one SQLite file, `queue-swap.db` in the spool
 * directory, owned by this process alone. A job is either in memory or here, never both: the
 * manager moves it out (`put`) and back in (`take`) itself, in one thread, so no job is skipped or
 * seen twice as windows page in and out.
 *
 * The file is derived data, not the record: the spool's own tables are (250 is given after their
 * fsync). It is removed at start, before recovery replays the spool and fills it again, so it needs
 * no journal and no fsync (synchronous=OFF, journal_mode=MEMORY); a crash loses nothing that
 * recovery does not rebuild. Each job is read back in (next attempt, arrival) order through the
 * index on (queue, due time, arrival): every query below is a range of one queue's keys, never a
 * scan. Rows are appended in rowid order and only the small index entry lands mid-tree: a
 * WITHOUT ROWID table keyed the same way cost twice as much per swap-out (bench/spool-recovery).
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { DeliveryJob } from '@petrel/core';

/** The file name inside spool_dir. */
export const SWAP_FILE = 'queue-swap.db';

/** How a swapped job is counted while out: as active (due, its queue free) or delayed mail. */
export type SwapKind = 'active' | 'delayed';

/** A job read back, with the time it is due (a flush may have brought it forward). */
export interface SwappedJob {
  readonly job: DeliveryJob;
  readonly at: number;
  readonly seq: number;
  readonly kind: SwapKind;
}

interface Row {
  readonly at: number;
  readonly seq: number;
  readonly kind: number;
  readonly job: string;
}

const SCHEMA = `
CREATE TABLE swapped (
  qid  INTEGER NOT NULL,
  at   INTEGER NOT NULL,
  seq  INTEGER NOT NULL,
  kind INTEGER NOT NULL,
  received INTEGER NOT NULL,
  job  TEXT NOT NULL
);
CREATE UNIQUE INDEX swapped_order ON swapped (qid, at, seq);
CREATE INDEX swapped_age ON swapped (qid, received);
`;

/** Rows written together in one transaction, committed at the end of the event-loop turn. */
const MAX_OPEN_WRITES = 4096;

export class SwapStore {
  private readonly db: Database.Database;
  private readonly ids = new Map<string, number>();
  private readonly insert: Database.Statement<[number, number, number, number, number, string]>;
  private readonly oldest: Database.Statement<[number, number, number], Row & { readonly rowid: number }>;
  private readonly dropRow: Database.Statement<[number]>;
  private readonly first: Database.Statement<[number, number], Row>;
  private readonly drop: Database.Statement<[number, number, number, number]>;
  private readonly page: Database.Statement<[number, number, number], Row>;
  private readonly minAt: Database.Statement<[number], number>;
  private readonly bringForward: Database.Statement<[number, number, number]>;
  private readonly dropOne: Database.Statement<[number, number, number]>;
  private readonly nowDue: Database.Statement<[number, number]>;
  private open = 0;
  private commitQueued = false;

  constructor(dir: string) {
    const file = join(dir, SWAP_FILE);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    SwapStore.remove(dir);
    this.db = new Database(file);
    // OFF is refused in better-sqlite3's defensive mode; MEMORY keeps the rollback journal off the disk.
    this.db.pragma('journal_mode = MEMORY');
    this.db.pragma('synchronous = OFF');
    this.db.pragma('cache_size = -16384');
    this.db.exec(SCHEMA);
    this.insert = this.db.prepare('INSERT INTO swapped (qid, at, seq, kind, received, job) VALUES (?, ?, ?, ?, ?, ?)');
    this.oldest = this.db.prepare(
      'SELECT rowid, at, seq, kind, job FROM swapped WHERE qid = ? AND received <= ? ORDER BY received LIMIT ?',
    );
    this.dropRow = this.db.prepare('DELETE FROM swapped WHERE rowid = ?');
    this.first = this.db.prepare('SELECT at, seq, kind, job FROM swapped WHERE qid = ? ORDER BY at, seq LIMIT ?');
    this.drop = this.db.prepare('DELETE FROM swapped WHERE qid = ? AND (at < ? OR (at = ? AND seq <= ?))');
    this.page = this.db.prepare(
      'SELECT at, seq, kind, job FROM swapped WHERE qid = ? ORDER BY at, seq LIMIT ? OFFSET ?',
    );
    this.minAt = this.db.prepare<[number], number>('SELECT at FROM swapped WHERE qid = ? ORDER BY at, seq LIMIT 1');
    this.minAt.pluck();
    // A flush makes every swapped job of the queue due now, in its arrival order (seq).
    this.bringForward = this.db.prepare('UPDATE swapped SET at = ?, kind = 0 WHERE qid = ? AND at > ?');
    this.dropOne = this.db.prepare('DELETE FROM swapped WHERE qid = ? AND at = ? AND seq = ?');
    this.nowDue = this.db.prepare('UPDATE swapped SET kind = 0 WHERE qid = ? AND at <= ? AND kind = 1');
  }

  /** Removes a previous process's file (its jobs are replayed from the spool). */
  static remove(dir: string): void {
    for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(join(dir, SWAP_FILE + suffix), { force: true });
  }

  /** The small integer key of a (binding, domain) in this file. */
  idOf(binding: string, domain: string): number {
    const key = `${binding}\u0000${domain}`;
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.ids.size + 1;
      this.ids.set(key, id);
    }
    return id;
  }

  /** Moves a job out of memory; due at `at`, ordered after every job put before it at the same time. */
  put(qid: number, at: number, seq: number, kind: SwapKind, job: DeliveryJob): void {
    this.begin();
    this.insert.run(qid, at, seq, kind === 'active' ? 0 : 1, job.receivedAt, JSON.stringify(job));
  }

  /** Takes (removes) up to `limit` jobs of a queue received at or before `by` (their expiry came). */
  takeReceivedBy(qid: number, by: number, limit: number): SwappedJob[] {
    this.begin();
    const rows = this.oldest.all(qid, by, limit);
    for (const r of rows) this.dropRow.run(r.rowid);
    return rows.map(toSwapped);
  }

  /** Takes (removes) the first `limit` jobs of a queue in (due time, arrival) order. */
  take(qid: number, limit: number): SwappedJob[] {
    if (limit <= 0) return [];
    this.begin();
    const rows = this.first.all(qid, limit);
    const last = rows[rows.length - 1];
    if (last !== undefined) this.drop.run(qid, last.at, last.at, last.seq);
    return rows.map(toSwapped);
  }

  /** Reads without removing (showqueue): `limit` jobs from `offset` in due order. */
  peek(qid: number, offset: number, limit: number): SwappedJob[] {
    if (limit <= 0) return [];
    return this.page.all(qid, limit, offset).map(toSwapped);
  }

  /** The earliest due time of a queue's swapped jobs, or undefined when none. */
  earliest(qid: number): number | undefined {
    return this.minAt.get(qid) as number | undefined;
  }

  /** Removes one job read with peek (an operator action on one message). */
  remove(qid: number, s: SwappedJob): boolean {
    this.begin();
    return this.dropOne.run(qid, s.at, s.seq).changes > 0;
  }

  /** Counts the jobs due by `now` as active from now on (their queue was released); returns how many. */
  due(qid: number, now: number): number {
    this.begin();
    return this.nowDue.run(qid, now).changes;
  }

  /** Makes every swapped job of a queue due at `now` (a flush); returns how many moved. */
  flush(qid: number, now: number): number {
    this.begin();
    return this.bringForward.run(now, qid, now).changes;
  }

  close(dir: string): void {
    this.commit();
    this.db.close();
    SwapStore.remove(dir);
  }

  /** Writes share one transaction per event-loop turn (or per MAX_OPEN_WRITES rows). */
  private begin(): void {
    if (this.open >= MAX_OPEN_WRITES) this.commit();
    if (this.open++ === 0) this.db.exec('BEGIN');
    if (!this.commitQueued) {
      this.commitQueued = true;
      setImmediate(() => {
        this.commitQueued = false;
        this.commit();
      });
    }
  }

  private commit(): void {
    if (this.open === 0) return;
    this.open = 0;
    if (this.db.open) this.db.exec('COMMIT');
  }
}

function toSwapped(r: Row): SwappedJob {
  const job = JSON.parse(r.job) as DeliveryJob;
  return { job, at: r.at, seq: r.seq, kind: r.kind === 0 ? 'active' : 'delayed' };
}
