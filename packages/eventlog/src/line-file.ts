/**
 * An append-only text log (mainlog, bouncelog, rejectlog). Writes go through a stream and never
 * throw: an error is reported once per burst, lines are dropped while the file is unusable, and
 * reopen() (SIGHUP, logrotate) opens the path afresh.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '@petrel/core';

export class LineFile {
  private stream: WriteStream | undefined;
  private failing = false;
  dropped = 0;

  constructor(
    readonly path: string,
    private readonly log: Logger,
  ) {}

  open(): void {
    try {
      mkdirSync(dirname(this.path), { recursive: true });
    } catch (err) {
      this.failed(err);
      return;
    }
    const s = createWriteStream(this.path, { flags: 'a', mode: 0o640 });
    // An 'error' without a listener would crash the daemon; mail must not stop for a log.
    s.on('error', (err) => {
      if (this.stream === s) this.stream = undefined;
      this.failed(err);
    });
    this.stream = s;
  }

  write(line: string): void {
    const s = this.stream;
    if (!s) {
      this.dropped++;
      return;
    }
    s.write(`${line}\n`, (err) => {
      if (!err && this.failing) {
        this.failing = false;
        this.log.warn({ file: this.path, dropped: this.dropped }, 'log writes resumed');
      }
    });
  }

  /** Resolves when everything written so far has reached the file (or failed). */
  flush(): Promise<void> {
    const s = this.stream;
    if (!s) return Promise.resolve();
    return new Promise((resolve) => s.write('', () => resolve()));
  }

  async reopen(): Promise<void> {
    await this.close();
    this.open();
  }

  close(): Promise<void> {
    const s = this.stream;
    this.stream = undefined;
    if (!s) return Promise.resolve();
    return new Promise((resolve) => {
      s.once('close', () => resolve());
      s.once('error', () => resolve());
      s.end();
    });
  }

  private failed(err: unknown): void {
    if (this.failing) return;
    this.failing = true;
    this.log.error({ err, file: this.path }, 'log file cannot be written; lines are dropped until it recovers');
  }
}
