/**
 * The spool database as the ShapingStore (core shaping.ts): shaping states (suspensions, throttles,
 * connection limits) and warm-up counters in two tables of spool.db, on a connection of their own
 * (WAL lets it write beside the spool's writer; a state change is rare and small). synchronous=FULL:
 * a state written is a state a `kill -9` keeps. A Redis-backed store can implement the same interface.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { PetrelError, type ShapingState, type ShapingStore, type WarmupCounter } from '@petrel/core';
import { SPOOL_DB_FILE } from './database.js';

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

/** Opens the store in spool_dir's spool.db (the spool must have created it: open after the spool starts). */
export function openShapingStore(dir: string): ShapingStore {
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
  const put = db.prepare('INSERT OR REPLACE INTO shaping_states (id, state) VALUES (?, ?)');
  const del = db.prepare('DELETE FROM shaping_states WHERE id = ?');
  const all = db.prepare('SELECT state FROM shaping_states');
  const putCounter = db.prepare('INSERT OR REPLACE INTO warmup_counters (key, window, count) VALUES (?, ?, ?)');
  const counters = db.prepare('SELECT key, window, count FROM warmup_counters');
  const putCounters = db.transaction((list: readonly WarmupCounter[]) => {
    for (const c of list) putCounter.run(c.key, c.window, c.count);
  });
  return {
    loadStates: () => (all.all() as { state: string }[]).map((r) => JSON.parse(r.state) as ShapingState),
    putState: (s) => void put.run(s.id, JSON.stringify(s)),
    deleteState: (id) => void del.run(id),
    loadCounters: () => counters.all() as WarmupCounter[],
    putCounters: (list) => putCounters(list),
    close: () => db.close(),
  };
}
