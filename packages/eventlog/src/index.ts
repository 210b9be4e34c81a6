/**
 * @petrel/eventlog: the event logs (reference §8). One JSON record per reception, delivery,
 * transient failure, permanent failure, expiration, rejection and generated bounce, written one
 * write(2) per record to `<log_dir>/events.jsonl`; optional Momentum-format mainlog, bouncelog and rejectlog;
 * `reopen()` for log rotation.
 *
 * @packageDocumentation
 */
export {
  EventLog,
  EVENTS_FILE,
  MAINLOG_FILE,
  BOUNCELOG_FILE,
  REJECTLOG_FILE,
  type EventLogOptions,
} from './event-log.js';
export type { EventFileOptions } from './event-file.js';
export {
  attemptRecords,
  bounceRecords,
  failureRecords,
  receptionRecords,
  rejectionRecord,
  type ClassifyFn,
  type EventRecord,
  type EventType,
} from './records.js';
export { attemptLines, bounceLine, failureLines, heartbeat, receptionLines, rejectLine } from './momentum-format.js';
export { TlsReportStore, TLSRPT_DIR, dateOf } from './tls-report.js';
