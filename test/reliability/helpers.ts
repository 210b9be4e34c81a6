/**
 * Shared pieces of the reliability suite: a raw SMTP client for hostile input, tiny scripted
 * destination peers (what smtp-sink cannot do), a steady nodemailer load, figures printed at the end.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import nodemailer from 'nodemailer';
import { petrelJson } from '../lib/cli.js';
import type { EventRecord, PetrelHandle } from '../lib/petrel.js';

/** Prints one suite figure line (collected by scripts/reliability-summary.mjs). */
export function figures(name: string, f: Record<string, unknown>): void {
  console.log(`RELIABILITY ${name} ${JSON.stringify(f)}`);
}

/** Message-IDs in an smtp-sink dump: a DSN (multipart/report) yields its own id, then the original's. */
export function dumpIds(dump: string): { dsn: boolean; ids: string[] } {
  const ids = [...dump.matchAll(/^Message-ID:\s*<([^>]+)>/gim)].map((m) => m[1]!);
  return { dsn: /multipart\/report/i.test(dump), ids };
}

/** The daemon's pid, through `petrel status --json`. */
export async function petrelPid(p: PetrelHandle): Promise<number> {
  const s = await petrelJson<{ pid: number }>(p, ['status']);
  return s.pid;
}

/** Resident set size of a process in KiB (/proc/PID/status VmRSS), or 0 when it is gone. */
export function rssKiB(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A raw SMTP conversation: write bytes, read until a reply (or all of several) arrives, bounded. */
export class RawClient {
  private buf = '';
  private closedFlag = false;
  private waiters: (() => void)[] = [];
  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf += d.toString('latin1');
      this.wake();
    });
    socket.on('close', () => {
      this.closedFlag = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static open(port: number, host = '127.0.0.1', localAddress?: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host, ...(localAddress ? { localAddress } : {}) });
      s.once('connect', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  write(data: string | Buffer): void {
    if (!this.socket.destroyed) this.socket.write(data);
  }

  /** Complete replies received so far (final lines "NNN " of multi-line replies), and consumes them. */
  private takeReplies(): string[] {
    const out: string[] = [];
    for (;;) {
      const m = /^(?:\d{3}-[^\n]*\n)*\d{3}(?: [^\n]*)?\n/.exec(this.buf);
      if (!m) break;
      out.push(m[0].trimEnd());
      this.buf = this.buf.slice(m[0].length);
    }
    return out;
  }

  /** Waits for `n` replies or the close; returns what came within `ms`. */
  async replies(n = 1, ms = 10_000): Promise<string[]> {
    const got: string[] = [];
    const deadline = Date.now() + ms;
    while (got.length < n) {
      got.push(...this.takeReplies());
      if (got.length >= n || this.closedFlag || Date.now() >= deadline) break;
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    return got;
  }

  async cmd(line: string, ms = 10_000): Promise<string> {
    this.write(`${line}\r\n`);
    return (await this.replies(1, ms))[0] ?? '(no reply)';
  }

  /** Resolves when the server has closed the connection (or after ms: false). */
  async waitClosed(ms = 10_000): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.closedFlag && Date.now() < deadline) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    return this.closedFlag;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A scripted destination: `onConnection` writes what it likes; every socket is destroyed on stop. */
export interface Scripted {
  readonly host: string;
  readonly port: number;
  stop(): Promise<void>;
}

export async function startScripted(host: string, port: number, onConnection: (s: Socket) => void): Promise<Scripted> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    onConnection(s);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    host,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Reads CRLF lines from a scripted peer's socket and answers each through `reply` (null = say nothing). */
export function lineServer(
  reply: (line: string, s: Socket, state: { inData: boolean; bodyBytes: number }) => string | null,
): (s: Socket) => void {
  return (s) => {
    const state = { inData: false, bodyBytes: 0 };
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      for (;;) {
        const i = buf.indexOf('\r\n');
        if (i < 0) break;
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (state.inData) state.bodyBytes += line.length + 2;
        const r = reply(line, s, state);
        if (s.destroyed) return;
        if (r !== null) s.write(r.endsWith('\r\n') ? r : `${r}\r\n`);
      }
    });
  };
}

/** A steady load of unique messages on a nodemailer pool; `acked` collects ids answered 250. */
export interface Load {
  inFlight(): number;
  stop(): Promise<number>;
}

export function startLoad(
  port: number,
  opts: { clients: number; tag: string; rcpts: (i: number, w: number) => string[]; sender?: string },
  acked: string[],
): Load {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    secure: false,
    ignoreTLS: true,
    pool: true,
    maxConnections: opts.clients,
    connectionTimeout: 2000,
    socketTimeout: 5000,
    greetingTimeout: 3000,
  });
  let running = true;
  let sent = 0;
  let inFlight = 0;
  const worker = async (w: number): Promise<void> => {
    for (let i = 0; running && i < 100_000; i++) {
      const id = `${opts.tag}-w${w}-${i}@load.test`;
      sent++;
      inFlight++;
      try {
        const info = await transport.sendMail({
          envelope: { from: opts.sender ?? 'sender@example.test', to: opts.rcpts(i, w) },
          from: opts.sender ?? 'sender@example.test',
          to: opts.rcpts(i, w),
          subject: id,
          messageId: `<${id}>`,
          text: `payload ${id}\n`,
        });
        if (/^250 /.test(info.response)) acked.push(id);
      } catch {
        // Not acknowledged (the daemon died or refused mid-transaction): a real client retries; not counted.
        await new Promise((r) => setTimeout(r, 20));
      } finally {
        inFlight--;
      }
    }
  };
  const workers = Array.from({ length: opts.clients }, (_, w) => worker(w));
  return {
    inFlight: () => inFlight,
    stop: async () => {
      running = false;
      await Promise.all(workers);
      transport.close();
      return sent;
    },
  };
}

/** Events of one recipient, in log order. */
export function eventsFor(events: EventRecord[], rcpt: string): EventRecord[] {
  return events.filter((e) => e.recipient === rcpt || (e.type === 'bounce' && e.recipient === rcpt));
}
