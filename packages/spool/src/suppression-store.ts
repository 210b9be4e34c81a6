/**
 * The suppression list in the spool database (docs/feedback-loop.md): its own table and its own
 * connection (WAL allows it beside the writer thread; a write waits on SQLite's busy timeout, and
 * suppression writes are rare). Commits are synchronous=FULL: an entry that was reported added
 * survives a crash. Implements core's narrow SuppressionStore, so a shared store can replace it.
 * A write that finds the disk full takes the spool's outcome reserve (writeWithReserve); one that
 * still fails is the caller's error (the operator's add or remove answers it).
 */
import {
  PetrelError,
  type SuppressionEntry,
  type SuppressionFilter,
  type SuppressionReason,
  type SuppressionStore,
} from '@petrel/core';
import type Database from 'better-sqlite3';
import { openSpoolDatabase, type SpoolDatabase } from './database.js';
import { KeyFilter } from './key-filter.js';
import { writeWithReserve, type ReleaseReserve } from './space-reserve.js';

const TABLE = `
CREATE TABLE IF NOT EXISTS suppressions (
  address      TEXT NOT NULL,
  scope        TEXT NOT NULL,
  reason       TEXT NOT NULL,
  bounce_class INTEGER,
  source       TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  PRIMARY KEY (address, scope)
) WITHOUT ROWID;
`;

interface Row {
  address: string;
  scope: string;
  reason: SuppressionReason;
  bounce_class: number | null;
  source: string;
  created_at: number;
}

function entry(r: Row): SuppressionEntry {
  return {
    address: r.address,
    scope: r.scope,
    reason: r.reason,
    ...(r.bounce_class !== null ? { bounceClass: r.bounce_class } : {}),
    source: r.source,
    createdAt: r.created_at,
  };
}

export class SqliteSuppressionStore implements SuppressionStore {
  private readonly put: Database.Statement;
  /** Every address (and "@domain") in the table, maybe more: find() asks the table only on a hit. */
  private filter = new KeyFilter();

  private constructor(
    private readonly db: SpoolDatabase,
    private readonly releaseReserve: ReleaseReserve | undefined,
  ) {
    this.put = db.prepare(
      'INSERT OR REPLACE INTO suppressions (address, scope, reason, bounce_class, source, created_at) ' +
        'VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.rebuildFilter();
  }

  /** A filter sized for the table as it is now and `adding` more (at open, and when the old one is full). */
  private rebuildFilter(adding = 0): void {
    const count = (this.db.prepare('SELECT COUNT(*) AS n FROM suppressions').get() as { n: number }).n;
    const filter = new KeyFilter((count + adding) * 2);
    const addresses = this.db.prepare('SELECT address FROM suppressions').pluck();
    for (const a of addresses.iterate() as IterableIterator<string>) filter.add(a);
    this.filter = filter;
  }

  /**
   * Opens (and creates) the table in `<spoolDir>/spool.db`. `releaseReserve` is the spool's outcome
   * reserve (Spool.openSuppressionStore passes it).
   */
  static open(spoolDir: string, releaseReserve?: ReleaseReserve): SqliteSuppressionStore {
    const db = openSpoolDatabase(spoolDir);
    db.pragma('busy_timeout = 10000');
    db.exec(TABLE);
    return new SqliteSuppressionStore(db, releaseReserve);
  }

  add(entries: readonly SuppressionEntry[]): Promise<number> {
    // Into the filter first: a key it holds that the table does not only costs a query.
    if (this.filter.size + entries.length > this.filter.capacity) this.rebuildFilter(entries.length);
    for (const e of entries) this.filter.add(e.address);
    try {
      const write = this.db.transaction(() => {
        for (const e of entries)
          this.put.run(e.address, e.scope, e.reason, e.bounceClass ?? null, e.source, e.createdAt);
        return entries.length;
      });
      const n = writeWithReserve(() => write(), this.releaseReserve);
      return Promise.resolve(n);
    } catch (err) {
      return Promise.reject(
        new PetrelError(
          'PETREL_ERR_SPOOL_WRITE',
          `cannot write the suppression list: ${(err as Error).message}`,
          {},
          { cause: err },
        ),
      );
    }
  }

  remove(address: string, scope?: string): Promise<number> {
    const del =
      scope === undefined
        ? () => this.db.prepare('DELETE FROM suppressions WHERE address = ?').run(address)
        : () => this.db.prepare('DELETE FROM suppressions WHERE address = ? AND scope = ?').run(address, scope);
    return Promise.resolve(writeWithReserve(del, this.releaseReserve).changes);
  }

  /** Lookup statements by number of scopes: find() runs on every RCPT and delivery, so prepare once. */
  private readonly finders = new Map<number, Database.Statement>();

  find(address: string, scopes: readonly string[]): Promise<SuppressionEntry | undefined> {
    if (scopes.length === 0) return Promise.resolve(undefined);
    const at = address.lastIndexOf('@');
    const domain = at >= 0 ? address.slice(at) : address;
    if (!this.filter.mayContain(address) && !this.filter.mayContain(domain)) return Promise.resolve(undefined);
    let q = this.finders.get(scopes.length);
    if (!q) {
      // The address's own entry wins over its domain's ("@example.com" is shorter).
      q = this.db.prepare(
        `SELECT * FROM suppressions WHERE address IN (?, ?) AND scope IN (${scopes.map(() => '?').join(',')}) ` +
          'ORDER BY length(address) DESC LIMIT 1',
      );
      this.finders.set(scopes.length, q);
    }
    const row = q.get(address, domain, ...scopes) as Row | undefined;
    return Promise.resolve(row ? entry(row) : undefined);
  }

  list(f: SuppressionFilter): Promise<readonly SuppressionEntry[]> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    for (const [column, value] of [
      ['address', f.address],
      ['scope', f.scope],
      ['reason', f.reason],
    ] as const) {
      if (value === undefined) continue;
      where.push(`${column} = ?`);
      args.push(value);
    }
    const filter = where.length ? ` WHERE ${where.join(' AND ')}` : '';
    const sql = `SELECT * FROM suppressions${filter} ORDER BY created_at, address LIMIT ? OFFSET ?`;
    const rows = this.db.prepare(sql).all(...args, f.limit ?? -1, f.offset ?? 0) as Row[];
    return Promise.resolve(rows.map(entry));
  }

  counts(): Promise<Readonly<Record<SuppressionReason, number>>> {
    const out: Record<SuppressionReason, number> = { hard_bounce: 0, out_of_band: 0, complaint: 0, manual: 0 };
    const rows = this.db.prepare('SELECT reason, COUNT(*) AS n FROM suppressions GROUP BY reason').all() as {
      reason: SuppressionReason;
      n: number;
    }[];
    for (const r of rows) if (r.reason in out) out[r.reason] = r.n;
    return Promise.resolve(out);
  }

  close(): void {
    this.db.close();
  }
}
