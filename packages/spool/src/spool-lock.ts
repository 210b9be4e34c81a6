/**
 * One daemon per spool directory. Two daemons on one spool would both replay the same messages
 * (double delivery) and the second would take over the first one's control socket.
 *
 * The lock is an OS-level record lock (POSIX fcntl) on `spool.lock`, taken through SQLite: the
 * lock file is an (empty) SQLite database opened with locking_mode=EXCLUSIVE and BEGIN EXCLUSIVE'd
 * once, so the connection holds its EXCLUSIVE lock until it closes. The kernel drops the lock when the process
 * dies (kill -9 included), so a stale lock can never block the next start, and unlike a pid file
 * there is no pid-reuse guess and no race between two starts removing a stale file. The spool
 * database itself keeps its normal locking: its WAL needs shared access by the write worker and
 * the main thread's readers, which locking_mode=EXCLUSIVE on spool.db would forbid (docs/decisions.md).
 *
 * The holder's pid is written to `spool.pid` after the lock is taken, for the refusal message only.
 */
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { PetrelError } from '@petrel/core';

export const SPOOL_LOCK_FILE = 'spool.lock';
export const SPOOL_PID_FILE = 'spool.pid';

export interface SpoolLock {
  /** Releases the lock (the kernel does it anyway when the process ends). */
  release(): void;
}

/** Takes the spool directory's lock or throws PETREL_ERR_SPOOL_LOCKED naming the directory and the holder's pid. */
export function acquireSpoolLock(dir: string): SpoolLock {
  const file = join(dir, SPOOL_LOCK_FILE);
  const pidFile = join(dir, SPOOL_PID_FILE);
  let db: Database.Database;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    closeSync(openSync(file, 'a', 0o600));
    chmodSync(file, 0o600);
    // timeout 0: a held lock is reported at once instead of after better-sqlite3's 5 s busy wait.
    db = new Database(file, { timeout: 0 });
  } catch (err) {
    throw new PetrelError(
      'PETREL_ERR_SPOOL_WRITE',
      `cannot open the spool lock ${file}: ${(err as Error).message}`,
      { file },
      { cause: err },
    );
  }
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    // BEGIN EXCLUSIVE takes the EXCLUSIVE lock; in exclusive locking mode it is kept after COMMIT.
    // Nothing is written, so a start on a full disk still gets its lock.
    db.exec('BEGIN EXCLUSIVE; COMMIT;');
  } catch (err) {
    db.close();
    const code = (err as { code?: unknown }).code;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
      const pid = readPid(pidFile);
      throw new PetrelError(
        'PETREL_ERR_SPOOL_LOCKED',

        `spool directory ${dir} is in use by another Petrel process (pid ${pid ?? 'unknown'}); stop it first ` +
          `or give this daemon its own spool_dir`,
        { dir, pid: pid ?? null },
      );
    }
    throw new PetrelError(
      'PETREL_ERR_SPOOL_WRITE',
      `cannot lock the spool ${file}: ${(err as Error).message}`,
      { file },
      { cause: err },
    );
  }
  // Written only while holding the lock: whoever reads it after a BUSY sees the live holder's pid.
  const tmp = `${pidFile}.${process.pid}`;
  try {
    writeFileSync(tmp, `${process.pid}\n`, { mode: 0o600 });
    renameSync(tmp, pidFile);
  } catch {
    // Informational only: the lock itself is what protects the spool.
    rmSync(tmp, { force: true });
  }
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      if (readPid(pidFile) === process.pid) rmSync(pidFile, { force: true });
      db.close();
    },
  };
}

function readPid(file: string): number | undefined {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}
