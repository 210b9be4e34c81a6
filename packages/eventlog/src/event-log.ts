/**
 * The event log service (ARCHITECTURE.md "eventlog"): one JSON line per reception, delivery,
 * transient failure, permanent failure, expiration and rejection, in <log_dir>/events.jsonl.
 */
import { join } from 'node:path';
import type { Service, ServiceContext } from '@petrel/core';
import { EventFile, type EventFileOptions } from './event-file.js';
import { attemptRecords, failureRecords, receptionRecords, rejectionRecord, type EventRecord } from './records.js';

/** The file name inside log_dir. */
export const EVENTS_FILE = 'events.jsonl';

/**
 * Subscribes `message.spooled`, `delivery.attempted`, `delivery.failed` and `message.rejected`
 * and writes their records. Writing never throws into the publisher.
 */
export class EventLog implements Service {
  readonly name = 'eventlog';
  /** Absolute path of events.jsonl. */
  readonly path: string;
  private readonly file: EventFile;
  private readonly undo: (() => void)[] = [];
  private readonly flushIntervalMs: number;
  private flusher: NodeJS.Timeout | undefined;

  /**
   * `flushIntervalMs` (default 1000): records are buffered for throughput (pino's minLength) but
   * an operator tailing the file, or a test waiting for a record, sees each within this bound.
   */
  constructor(
    private readonly ctx: ServiceContext,
    options: EventFileOptions & { flushIntervalMs?: number } = {},
  ) {
    this.path = join(ctx.config.log_dir, EVENTS_FILE);
    const { flushIntervalMs, ...fileOptions } = options;
    this.flushIntervalMs = flushIntervalMs ?? 1000;
    this.file = new EventFile(this.path, ctx.logger, fileOptions);
  }

  async start(): Promise<void> {
    await this.file.open();
    const { bus, clock } = this.ctx;
    this.undo.push(
      bus.subscribe('message.spooled', (ev) => this.writeAll(receptionRecords(ev))),
      bus.subscribe('delivery.attempted', (ev) => this.writeAll(attemptRecords(ev))),
      bus.subscribe('delivery.failed', (ev) => this.writeAll(failureRecords(ev, clock.now()))),
      bus.subscribe('message.rejected', (ev) => this.file.write(rejectionRecord(ev))),
    );
    if (this.flushIntervalMs > 0) {
      // Write errors are already reported once per burst by EventFile; nothing to add here.
      this.flusher = setInterval(() => void this.file.flush().catch(() => undefined), this.flushIntervalMs);
      this.flusher.unref();
    }
  }

  /** Stops listening, writes out everything buffered and closes the file. */
  async stop(): Promise<void> {
    for (const off of this.undo.splice(0)) off();
    clearInterval(this.flusher);
    await this.file.close();
  }

  /** Resolves when every record so far is on disk; rejects with the write error otherwise. */
  flush(): Promise<void> {
    return this.file.flush();
  }

  /** Reopens events.jsonl by name: for SIGHUP after logrotate (Momentum's `reopen logs`). */
  reopen(): Promise<void> {
    return this.file.reopen();
  }

  private writeAll(records: readonly EventRecord[]): void {
    for (const r of records) this.file.write(r);
  }
}
