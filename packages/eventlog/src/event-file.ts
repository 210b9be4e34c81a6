/**
 * The events.jsonl writer: one JSON line per record, written with write(2) on the file's own
 * descriptor inside the bus callback that publishes its fact, before the spool commits anything
 * that follows from it: a kill -9 cannot lose a record whose consequences are already durable,
 * because nothing is held in a user-space buffer (docs/logs.md "Guarantee"). It is not fsync'd: a
 * power loss can cut the tail. Mail never fails because of the log: a write error is reported to
 * the operator log once per burst (until a write succeeds again) and the record is dropped,
 * counted. Rotation opens a fresh descriptor rather than reopening in place, so a descriptor stuck
 * on a bad file cannot hold the new file back.
 *
 * Written directly rather than through pino and SonicBoom: on the relay's hot path their layers
 * (level and serializer machinery, a buffer and an event per write) cost ~7 % of the main thread
 * for what is one JSON.stringify and one write(2) per record.
 */
import { close, mkdir, open, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import type { Logger as OperatorLogger } from '@petrel/core';
import type { EventRecord } from './records.js';

const openFd = promisify(open);
const closeFd = promisify(close);
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

export class EventFile {
  private fd: number | undefined;
  /** Lines gathered while minLength > 0. */
  private pending = '';
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
    const fd = await this.openFile();
    if (fd !== undefined) this.fd = fd;
  }

  /** Writes one record (or gathers it, with minLength); never throws. */
  write(rec: EventRecord): void {
    if (this.fd === undefined) {
      this.dropped++;
      return;
    }
    let line: string;
    try {
      line = serialize(rec);
    } catch (err) {
      this.dropped++;
      this.failed(err);
      return;
    }
    const min = this.options.minLength ?? 0;
    if (min <= 0) {
      this.writeOut(line);
      return;
    }
    if (this.pending.length + line.length > (this.options.maxLength ?? 16 * 1024 * 1024)) {
      this.dropped++;
      return;
    }
    this.pending += line;
    if (this.pending.length >= min) this.writePending();
  }

  /** Resolves once every record written so far is handed to the kernel; rejects with the write error if not. */
  flush(): Promise<void> {
    if (this.pending === '') return Promise.resolve();
    const error = this.writePending();
    return error === undefined ? Promise.resolve() : Promise.reject(error);
  }

  /**
   * Opens the path afresh (after logrotate renamed the file) and closes the old descriptor once
   * what it gathered is written out. If the new open fails, the old file stays in use.
   */
  async reopen(): Promise<void> {
    const fresh = await this.openFile();
    if (fresh === undefined) return;
    this.writePending();
    const old = this.fd;
    this.fd = fresh;
    if (old !== undefined) await closeFd(old).catch(() => undefined);
  }

  /** Writes out what is gathered and closes the file. */
  async close(): Promise<void> {
    this.writePending();
    const old = this.fd;
    this.fd = undefined;
    if (old !== undefined) await closeFd(old).catch(() => undefined);
  }

  private writePending(): Error | undefined {
    const text = this.pending;
    this.pending = '';
    return text === '' ? undefined : this.writeOut(text);
  }

  /** write(2) until all of `text` is in the file; a failure drops it (counted, reported once per burst). */
  private writeOut(text: string): Error | undefined {
    const fd = this.fd;
    if (fd === undefined) {
      this.dropped++;
      return undefined;
    }
    try {
      let n = writeSync(fd, text);
      // A short write (rare on a regular file): the rest as bytes, from where the kernel stopped.
      if (n < Buffer.byteLength(text)) {
        const buf = Buffer.from(text);
        while (n < buf.length) n += writeSync(fd, buf, n);
      }
      this.recovered();
      return undefined;
    } catch (err) {
      this.dropped++;
      this.failed(err);
      return err as Error;
    }
  }

  private async openFile(): Promise<number | undefined> {
    try {
      await mkdirP(dirname(this.path), { recursive: true });
      return await openFd(this.path, 'a', this.options.mode ?? 0o640);
    } catch (err) {
      this.failed(err);
      return undefined;
    }
  }

  private failed(err: unknown): void {
    this.errors++;
    if (this.failing) return;
    this.failing = true;
    this.log.error({ err, file: this.path }, 'event log cannot be written; records are dropped until it recovers');
  }

  private recovered(): void {
    if (!this.failing) return;
    this.log.warn({ file: this.path, errors: this.errors, dropped: this.dropped }, 'event log writes resumed');
    this.failing = false;
    this.errors = 0;
    this.dropped = 0;
  }
}

/** `{"time":…,…fields}\n`: the record's time first, as every line of the file has it. */
function serialize(rec: EventRecord): string {
  // records.ts builds every record with `time` as its first key: then one stringify is the line,
  // with no copy of the record and no second stringify (this runs once per recipient and event).
  for (const first in rec) {
    if (first === 'time') return `${JSON.stringify(rec)}\n`;
    break;
  }
  const { time, ...fields } = rec;
  const rest = JSON.stringify(fields);
  return `{"time":${JSON.stringify(time)}${rest.length > 2 ? `,${rest.slice(1)}` : '}'}\n`;
}
