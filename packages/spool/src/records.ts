/**
 * Spool records: small durable key/value rows in the spool database beside the messages. HTTP
 * injection commits its Idempotency-Key rows in the transaction of each message
 * (StoreRequest.record); the webhooks keep their cursors here. Reads use the spool's read-only
 * connection; every write goes through the write backend like the rest, fsync'd before it resolves.
 */
import type { Bus, Clock, SpoolRecordRow } from '@petrel/core';
import type { SpoolDatabase } from './database.js';
import { toSpoolError } from './sqlite-errors.js';
import type { WriteBackend } from './write-backend.js';

/** Keys per spool.records request: bounded so that one request cannot build a huge statement. */
const MAX_KEYS = 1000;

/** Registers spool.records, spool.put_record and spool.prune_records; returns their unsubscribers. */
export function recordHandlers(bus: Bus, db: SpoolDatabase, backend: WriteBackend, clock: Clock): (() => void)[] {
  const get = db.prepare<[string], { key: string; value: string; updated_at: number }>(
    'SELECT key, value, updated_at FROM records WHERE key = ?',
  );
  return [
    bus.handle('spool.records', ({ keys }) => {
      try {
        return keys.slice(0, MAX_KEYS).map((key): SpoolRecordRow | null => {
          const row = get.get(key);
          return row ? { key: row.key, value: row.value, updatedAt: row.updated_at } : null;
        });
      } catch (err) {
        throw toSpoolError(err, 'cannot read spool records', { keys: keys.length });
      }
    }),
    bus.handle('spool.put_record', async ({ key, value }) => {
      await backend.applyRecords([{ kind: 'put', key, value, time: clock.now() }]);
      return undefined;
    }),
    bus.handle('spool.prune_records', async ({ prefix, before }) => ({
      deleted: await backend.applyRecords([{ kind: 'prune', prefix, before }]),
    })),
  ];
}
