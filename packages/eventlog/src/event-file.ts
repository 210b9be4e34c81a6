/**
 * The events.jsonl writer: pino over a synchronous SonicBoom destination. Each record is handed
 * to the kernel (write(2)) inside the bus callback that publishes its fact, before the spool
 * commits anything that follows from it (the route, the outcome): a kill -9 cannot lose a record
 * whose consequences are already durable, because nothing is held in a user-space buffer
 * (docs/logs.md "Guarantee"). It is not fsync'd: a power loss can cut the tail. Mail never fails
 * because of the log: a write error is reported to the operator log once per burst (until a write
 * succeeds again) and the record is dropped, counted. Rotation swaps in a fresh destination rather
 * than reopening in place, so a destination stuck on a bad descriptor cannot hold the new file back.
 */
import { mkdir, open } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { pino, type Logger } from 'pino';
import type { Logger as OperatorLogger } from '@petrel/core';
import type { EventRecord } from './records.js';

type Destination = ReturnType<typeof pino.destination>;

const openFd = promisify(open);
const mkdirP = promisify(mkdir);

/** Tuning of the writer; the defaults suit production. */
export interface EventFileOptions {
  /**
   * Bytes gathered before a write(2). Default 0: every record is written at once, which is what
   * makes records survive a kill -9; a larger value trades that for fewer syscalls.
   */
  readonly minLength?: number;
  /** Bytes buffered at most (only with minLength > 0); beyond, records are dropped. Default 16 MiB. */
  readonly maxLength?: number;
  /** File mode on creation. Default 0o640: the log holds addresses (personal data). */
  readonly mode?: number;
}

interface Sink {
  readonly dest: Destination;
  readonly logger: Logger;
  /** The time of the record being written; read by pino's timestamp hook. */
  readonly state: { time: string };
}

export class EventFile {
  private sink: Sink | undefined;
  private failing = false;
  private errors = 0;
  private dropped = 0;

  constructor(
    readonly path: string,
    private readonly log: OperatorLogger,
    private readonly options: EventFileOptions = {},
  ) {}

  /** Opens the file (creating its directory). Resolves even when that fails: see reopen(). */
  async open(): Promise<void> {
    const fresh = await this.openSink();
    if (fresh) this.sink = fresh;
  }

  /** Queues one record; never throws. */
  write(rec: EventRecord): void {
    const sink = this.sink;
    if (sink === undefined) {
      this.dropped++;
      return;
    }
    try {
      const { time, ...fields } = rec;
      sink.state.time = time;
      sink.logger.info(fields);
    } catch (err) {
      this.dropped++;
      this.failed(err);
    }
  }

  /** Resolves once every record written so far is on disk; rejects with the write error if not. */
  flush(): Promise<void> {
    const sink = this.sink;
    if (sink === undefined) return Promise.resolve();
    return new Promise((resolve, reject) => sink.dest.flush((err) => (err ? reject(err) : resolve())));
  }

  /**
   * Opens the path afresh (after logrotate renamed the file) and closes the old descriptor once
   * its buffer is written out. If the new open fails, the old file stays in use.
   */
  async reopen(): Promise<void> {
    const fresh = await this.openSink();
    if (fresh === undefined) return;
    const old = this.sink;
    this.sink = fresh;
    if (old) await closeSink(old);
  }

  /** Writes out what is buffered and closes the file. */
  async close(): Promise<void> {
    const old = this.sink;
    this.sink = undefined;
    if (old) await closeSink(old);
  }

  /**
   * Opens the file ourselves and hands pino the descriptor: an open error is then ours to
   * report, and no half-opened destination is left behind (pino would flush it at exit).
   */
  private async openSink(): Promise<Sink | undefined> {
    let fd: number;
    try {
      await mkdirP(dirname(this.path), { recursive: true });
      fd = await openFd(this.path, 'a', this.options.mode ?? 0o640);
    } catch (err) {
      this.failed(err);
      return undefined;
    }
    const dest = pino.destination({
      dest: fd,
      sync: true,
      minLength: this.options.minLength ?? 0,
      maxLength: this.options.maxLength ?? 16 * 1024 * 1024,
    });
    // A listener must stay attached: an 'error' with none would crash the daemon.
    dest.on('error', (err: unknown) => this.failed(err));
    dest.on('write', () => this.recovered());
    dest.on('drop', () => void this.dropped++);
    // pino writes `{` + level + time + fields, each after a comma. With the level formatted away,
    // the timestamp hook (which has no leading comma here) supplies the first member: the
    // record's own time, set just before each write.
    const state = { time: '' };
    const logger = pino(
      { base: null, formatters: { level: () => ({}) }, timestamp: () => `"time":${JSON.stringify(state.time)}` },
      dest,
    );
    return { dest, logger, state };
  }

  private failed(err: unknown): void {
    this.errors++;
    if (this.failing) return;
    this.failing = true;
    this.log.error(
      { err, file: this.path },
      'event log cannot be written; records are buffered (then dropped) until it recovers',
    );
  }

  private recovered(): void {
    if (!this.failing) return;
    this.log.warn({ file: this.path, errors: this.errors, dropped: this.dropped }, 'event log writes resumed');
    this.failing = false;
    this.errors = 0;
    this.dropped = 0;
  }
}

/** Ends a destination: flushes, and if the disk refuses, destroys it so that close cannot hang. */
function closeSink({ dest }: Sink): Promise<void> {
  return new Promise((resolve) => {
    let destroyed = false;
    dest.once('close', () => resolve());
    dest.on('error', () => {
      if (destroyed) return resolve(); // even close(2) failed: nothing more to wait for
      destroyed = true;
      dest.destroy();
    });
    dest.end();
  });
}
