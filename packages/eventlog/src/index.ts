/**
 * @petrel/eventlog: the JSON-lines event log (reference §8). One record per reception,
 * delivery, transient failure, permanent failure, expiration and rejection, written with pino
 * to `<log_dir>/events.jsonl`; `reopen()` for log rotation.
 *
 * @packageDocumentation
 */
export { EventLog, EVENTS_FILE } from './event-log.js';
export type { EventFileOptions } from './event-file.js';
export { attemptRecords, failureRecords, receptionRecords, rejectionRecord, type EventRecord, type EventType } from './records.js';
