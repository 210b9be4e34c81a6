/**
 * @petrel/spool: the durable store of messages and per-recipient state (ARCHITECTURE.md "spool").
 * A message answered 250 is never lost: spool.store resolves only after a group commit has made
 * it durable (SQLite WAL, synchronous=FULL), and every unfinished message is replayed at start.
 */
export { Spool, type SpoolOptions, type SpoolStats } from './spool.js';
export type { RecoveryResult } from './recovery.js';
export type { FreeSpaceProbe } from './free-space.js';
export { SPOOL_DB_FILE } from './database.js';
export { SPOOL_LOCK_FILE, SPOOL_PID_FILE } from './spool-lock.js';
export { SPOOL_RESERVE_FILE } from './space-reserve.js';
export { SqliteSuppressionStore } from './suppression-store.js';
export type { SpoolShapingStore } from './shaping-store.js';
