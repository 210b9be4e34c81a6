/**
 * Reads the event log (`<log_dir>/events.jsonl`) from a position, across rotations. A position is
 * (inode, offset): the inode names the file whatever it is called now, so a position saved before
 * a rotation (rename + reopen, logrotate's default) still finds its file as `events.jsonl.1`.
 * Files are taken in modification-time order, the live file last; a file is left only at its end,
 * and the live file is entered only once it has data (the event log has reopened, so nothing
 * more goes to the old one). Compressed files (.gz, …) are not read: keep one uncompressed
 * generation (logrotate `delaycompress`) so a restart can finish it (docs/webhooks.md).
 */
import { type BigIntStats, readdirSync, statSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@petrel/core';

/** Where the next unread line starts. `ino` as a decimal string (inodes may pass 2^53). */
export interface TailPosition {
  readonly ino: string;
  readonly offset: number;
}

/** One complete line of the log, its unique id and the position after it. */
export interface TailLine {
  /** `<inode>-<offset of the line>`: unique per line, the same on every re-read. */
  readonly id: string;
  readonly text: string;
  readonly end: TailPosition;
}

interface LogFile {
  readonly path: string;
  readonly ino: string;
  readonly size: number;
  readonly mtimeNs: bigint;
  readonly live: boolean;
}

const CHUNK = 256 * 1024;
const MAX_LINE = 16 * 1024 * 1024;

export class EventTail {
  private fh: FileHandle | undefined;
  private ino = '';
  private offset = 0;
  /** Records skipped because their file was gone (a position whose file was deleted or compressed). */
  lostFiles = 0;

  constructor(
    private readonly dir: string,
    private readonly base: string,
    private readonly logger: Logger,
  ) {}

  /**
   * Opens at `start`, or at the end of the live file when there is no saved position (a new
   * endpoint gets what happens from now on; with no file yet, `ino` "" stands for "from the first
   * file", which is also what a saved "" means). Returns the position to save.
   */
  async open(start: TailPosition | undefined): Promise<TailPosition> {
    const files = this.files();
    if (start?.ino === '') {
      // Saved before the event log had a file: everything from its first file is new.
      const oldest = files[0];
      return oldest ? this.enter(oldest, 0) : this.position();
    }
    if (start) {
      const f = files.find((x) => x.ino === start.ino);
      if (f) return this.enter(f, start.offset);
      this.lostFiles++;
      this.logger.error(
        { dir: this.dir, ino: start.ino, offset: start.offset },
        'webhook cursor file is gone (deleted or compressed): continuing with the oldest event log file there is; ' +
          'records between are not sent',
      );
      const oldest = files[0];
      return oldest ? this.enter(oldest, 0) : this.position();
    }
    const live = files.find((f) => f.live);
    return live ? this.enter(live, live.size) : this.position();
  }

  position(): TailPosition {
    return { ino: this.ino, offset: this.offset };
  }

  /** Up to `max` complete lines from the position on; [] when there is nothing new yet. */
  async read(max: number): Promise<TailLine[]> {
    for (let hops = 0; hops < 64; hops++) {
      if (!this.fh) {
        const files = this.files();
        const first = files[0];
        if (!first) return [];
        await this.enter(first, 0);
      }
      const lines = await this.readLines(max);
      if (lines.length > 0) return lines;
      const next = this.successor();
      if (!next) return [];
      await this.enter(next, 0);
    }
    return [];
  }

  /** Bytes not read yet: the rest of this file and every later one. */
  backlogBytes(): number {
    const files = this.files();
    const i = files.findIndex((f) => f.ino === this.ino);
    if (i < 0) return files.reduce((n, f) => n + f.size, 0);
    return files.slice(i).reduce((n, f, k) => n + (k === 0 ? Math.max(0, f.size - this.offset) : f.size), 0);
  }

  async close(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close();
  }

  private async enter(f: LogFile, offset: number): Promise<TailPosition> {
    await this.close();
    try {
      this.fh = await open(f.path, 'r');
    } catch (err) {
      this.logger.warn({ err, path: f.path }, 'event log file not opened; trying again later');
      return this.position();
    }
    this.ino = f.ino;
    this.offset = Math.min(offset, f.size);
    return this.position();
  }

  private async readLines(max: number): Promise<TailLine[]> {
    const fh = this.fh!;
    const { size } = await fh.stat();
    if (size < this.offset) {
      // Truncated in place (copytruncate): start over on it.
      this.logger.warn({ ino: this.ino, offset: this.offset, size }, 'event log truncated under the webhook cursor');
      this.offset = 0;
    }
    const out: TailLine[] = [];
    let want = CHUNK;
    while (out.length < max && this.offset < size) {
      const len = Math.min(want, size - this.offset);
      const buf = Buffer.allocUnsafe(len);
      const { bytesRead } = await fh.read(buf, 0, len, this.offset);
      const data = buf.subarray(0, bytesRead);
      let start = 0;
      let nl = data.indexOf(0x0a, start);
      if (nl < 0) {
        // A line longer than the chunk: read more of it, or wait for its end.
        if (bytesRead === size - this.offset || want >= MAX_LINE) break;
        want *= 2;
        continue;
      }
      while (nl >= 0 && out.length < max) {
        const lineStart = this.offset + start;
        const text = data.toString('utf8', start, nl);
        start = nl + 1;
        const end = { ino: this.ino, offset: this.offset + start };
        if (text.trim() !== '') out.push({ id: `${this.ino}-${lineStart}`, text, end });
        nl = data.indexOf(0x0a, start);
      }
      this.offset += start;
      want = CHUNK;
    }
    return out;
  }

  /** The file after ours, once it is safe to leave ours (see the file comment). */
  private successor(): LogFile | undefined {
    const files = this.files();
    const i = files.findIndex((f) => f.ino === this.ino);
    const next = i >= 0 ? files[i + 1] : files.find((f) => f.live);
    if (!next) return undefined;
    if (next.live && next.size === 0) return undefined;
    return next;
  }

  /** The event log files: rotated generations by modification time, then the live file. */
  private files(): LogFile[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    const out: LogFile[] = [];
    for (const name of names) {
      const rotated = name.startsWith(`${this.base}.`) || name.startsWith(`${this.base}-`);
      if (name !== this.base && !rotated) continue;
      if (/\.(gz|bz2|xz|zst|lz4|z)$/i.test(name)) continue;
      const path = join(this.dir, name);
      let st: BigIntStats;
      try {
        st = statSync(path, { bigint: true });
      } catch {
        continue;
      }
      if (!st.isFile()) continue;
      out.push({ path, ino: st.ino.toString(), size: Number(st.size), mtimeNs: st.mtimeNs, live: name === this.base });
    }
    return out.sort((a, b) =>
      a.live !== b.live ? (a.live ? 1 : -1) : a.mtimeNs < b.mtimeNs ? -1 : a.mtimeNs > b.mtimeNs ? 1 : 0,
    );
  }
}
