/**
 * Opens the spool database: one SQLite file in WAL mode with synchronous=FULL, so that a commit
 * returns only after the WAL is fsync'd (durable before 250). Bodies live in the same row as the
 * envelope: one transaction, one fsync, no orphan files to reconcile after a crash (measured
 * against file-per-body + fsync in the package report).
 */
import { closeSync, fsyncSync, mkdirSync, openSync, statSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { PetrelError } from '@petrel/core';

/** The file name inside spool_dir. */
export const SPOOL_DB_FILE = 'spool.db';

/** Bumped when the tables change; a newer file than this code is refused rather than misread. */
const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS messages (
  id          TEXT PRIMARY KEY,
  envelope    TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  size        INTEGER NOT NULL,
  body        BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS recipients (
  message_id      TEXT NOT NULL,
  idx             INTEGER NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL DEFAULT 0,
  last_reply      TEXT,
  PRIMARY KEY (message_id, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS records (
  key        TEXT PRIMARY KEY,
  value      TEXT NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
`;

export type SpoolDatabase = Database.Database;

/** Creates the directory (0700) and the file (0600), applies the pragmas and the schema. */
export function openSpoolDatabase(dir: string): SpoolDatabase {
  const file = join(dir, SPOOL_DB_FILE);
  let created = false;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Create the file ourselves so that its mode is 0600 whatever the umask; SQLite gives the
    // -wal and -shm files the mode of the database file.
    try {
      statSync(file);
    } catch {
      closeSync(openSync(file, 'a', 0o600));
      created = true;
    }
    chmodSync(file, 0o600);
  } catch (err) {
    throw new PetrelError(
      'PETREL_ERR_SPOOL_WRITE',
      `cannot create the spool database ${file}: ${(err as Error).message}`,
      { file },
      { cause: err },
    );
  }
  let db: SpoolDatabase;
  try {
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    // After a burst of large bodies the WAL is truncated back to this size at checkpoint.
    db.pragma('journal_size_limit = 67108864');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      db.close();
      throw new PetrelError(
        'PETREL_ERR_SPOOL_WRITE',
        `spool database ${file} has schema version ${version}, newer than this Petrel (${SCHEMA_VERSION})`,
        { file, version },
      );
    }
    db.exec(SCHEMA);
    if (version < SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
  } catch (err) {
    if (err instanceof PetrelError) throw err;
    throw new PetrelError(
      'PETREL_ERR_SPOOL_WRITE',
      `cannot open the spool database ${file}: ${(err as Error).message}`,
      { file },
      { cause: err },
    );
  }
  if (created) syncDirectory(dir);
  return db;
}

/** A second, read-only connection: recovery reads a consistent snapshot on it while writes go on. */
export function openSpoolReader(dir: string): SpoolDatabase {
  return new Database(join(dir, SPOOL_DB_FILE), { readonly: true, fileMustExist: true });
}

/** fsync the directory so that a new file's directory entry survives a power loss. */
function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
