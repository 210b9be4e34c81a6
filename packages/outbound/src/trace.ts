/**
 * Opt-in SMTP transcripts (Momentum's `trace smtp add <binding> <domain> <file>`): when a
 * (binding, domain) policy sets trace_file, every protocol line of its sessions is appended to that
 * file as "<ISO time> <connection id> <c|s> <line>". The client masks AUTH secrets before a line
 * gets here. One append stream per file, shared by all connections that trace into it.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Logger } from '@petrel/core';

export type TranscriptSink = (direction: 'c' | 's', line: string) => void;

export class TraceFiles {
  private readonly streams = new Map<string, WriteStream>();
  private readonly failed = new Set<string>();

  constructor(private readonly logger: Logger) {}

  /** A transcript sink for one connection, or undefined when no file is configured. */
  sink(path: string | undefined, connectionId: string, host: string): TranscriptSink | undefined {
    if (path === undefined || path === '') return undefined;
    let s = this.streams.get(path);
    if (!s) {
      s = createWriteStream(path, { flags: 'a' });
      // A trace that cannot be written must not disturb delivery: log it once per file.
      s.on('error', (err) => {
        if (!this.failed.has(path)) this.logger.warn({ err, path }, 'trace file write failed');
        this.failed.add(path);
      });
      this.streams.set(path, s);
    }
    const stream = s;
    stream.write(`${new Date().toISOString()} ${connectionId} * connecting to ${host}\n`);
    return (direction, line) => {
      stream.write(`${new Date().toISOString()} ${connectionId} ${direction} ${line}\n`);
    };
  }

  /** Flushes and closes every trace file (service stop). */
  async close(): Promise<void> {
    const all = [...this.streams.values()];
    this.streams.clear();
    await Promise.all(all.map((s) => new Promise<void>((resolve) => s.end(() => resolve()))));
  }
}
