import Database from 'better-sqlite3';
import { join } from 'node:path';

/** Messages still in a (stopped) Petrel spool, read straight from its SQLite file. */
export function spoolMessageCount(spoolDir: string): number {
  const db = new Database(join(spoolDir, 'spool.db'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n;
  } finally {
    db.close();
  }
}
