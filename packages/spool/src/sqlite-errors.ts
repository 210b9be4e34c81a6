/** Maps storage failures to the registry codes the listener turns into 452 4.3.1. */
import { PetrelError } from '@petrel/core';

/** SQLite result codes that mean the disk (or the database's size limit) is full. */
const FULL_CODES = new Set(['SQLITE_FULL']);

function sqliteCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** True for a per-row constraint failure (a duplicate id), which fails one message, not the batch. */
export function isConstraintError(err: unknown): boolean {
  return sqliteCode(err)?.startsWith('SQLITE_CONSTRAINT') === true;
}

/** True when a write failed because the disk (or the database's size limit) is full. */
export function isDiskFull(err: unknown): boolean {
  const code = sqliteCode(err);
  return code !== undefined && (FULL_CODES.has(code) || code === 'ENOSPC');
}

/** Wraps any write failure: SQLITE_FULL / ENOSPC → PETREL_ERR_SPOOL_FULL, the rest → PETREL_ERR_SPOOL_WRITE. */
export function toSpoolError(err: unknown, what: string, details: Record<string, unknown> = {}): PetrelError {
  if (err instanceof PetrelError) return err;
  const code = sqliteCode(err);
  const message = err instanceof Error ? err.message : String(err);
  if (isDiskFull(err)) {
    return new PetrelError(
      'PETREL_ERR_SPOOL_FULL',
      `${what}: disk full (${message})`,
      { ...details, sqlite: code },
      { cause: err },
    );
  }
  return new PetrelError(
    'PETREL_ERR_SPOOL_WRITE',
    `${what}: ${message}`,
    code !== undefined ? { ...details, sqlite: code } : details,
    { cause: err },
  );
}
