/**
 * Test fixtures (compiled for tests only, never into dist/): a listener on 127.0.0.1:0 with a real Bus whose
 * `spool.store` is a small in-memory handler, and a raw SMTP client socket.
 */
import { connect, type Socket } from 'node:net';
import {
  Bus,
  SystemClock,
  parseConfig,
  silentLogger,
  type Clock,
  type MessageRejected,
  type StoreRequest,
  type StoreResult,
} from '@petrel/core';
import { Listener } from './listener.js';
import type { InboundPolicySource } from './policy-hooks.js';
import type { MessageSignerSource } from './signing-hook.js';

export interface Harness {
  readonly listener: Listener;
  readonly bus: Bus;
  readonly port: number;
  readonly stored: StoreRequest[];
  readonly rejected: MessageRejected[];
  /** Stops the listener (idempotent). */
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Extra TOML lines for [listener], e.g. `max_recipients = 2`. */
  readonly listener?: readonly string[];
  /** Replaces the default in-memory store (which records and resolves at once). */
  readonly store?: (req: StoreRequest, stored: StoreRequest[]) => StoreResult | Promise<StoreResult>;
  readonly clock?: Clock;
  readonly stopDeadlineMs?: number;
  /** Where the config "file" lives: relative paths (tls_certificate, …) resolve against it. */
  readonly configFile?: string;
  /** Policy hook points (policy-hooks.ts). */
  readonly policy?: InboundPolicySource;
  /** More TOML tables after [listener], e.g. a [bounce] table. */
  readonly tables?: readonly string[];
  /** The signing hook point (signing-hook.ts). */
  readonly signer?: MessageSignerSource;
}

export const HOSTNAME = 'mx.petrel.test';

export async function startListener(opts: HarnessOptions = {}): Promise<Harness> {
  const extra = opts.listener ?? [];
  // Tests compare stored bodies byte for byte: no added Message-ID/Date unless a test asks.
  const headers = extra.some((l) => l.startsWith('add_missing_headers')) ? [] : ['add_missing_headers = false'];
  const toml = [
    `hostname = "${HOSTNAME}"`,
    '[listener]',
    'listen = ["127.0.0.1:0"]',
    ...headers,
    ...extra,
    ...(opts.tables ?? []),
  ].join('\n');
  const config = parseConfig(toml, opts.configFile ?? 'test.toml');
  const bus = new Bus();
  const stored: StoreRequest[] = [];
  const rejected: MessageRejected[] = [];
  bus.handle('spool.store', (req) => {
    if (opts.store) return opts.store(req, stored);
    stored.push(req);
    return { id: req.envelope.id };
  });
  bus.subscribe('message.rejected', (e) => void rejected.push(e));
  const listener = new Listener(
    { config, bus, logger: silentLogger(), clock: opts.clock ?? new SystemClock() },
    {
      ...(opts.stopDeadlineMs !== undefined ? { stopDeadlineMs: opts.stopDeadlineMs } : {}),
      ...(opts.policy ? { policy: opts.policy } : {}),
      ...(opts.signer ? { signer: opts.signer } : {}),
    },
  );
  await listener.start();
  const port = listener.addresses()[0]!.port;
  return { listener, bus, port, stored, rejected, close: () => listener.stop() };
}

/** A raw client: write bytes, read whole replies, see each TCP read separately. */
export class RawClient {
  private text = '';
  private readonly chunks: string[] = [];
  private readonly waiters: (() => void)[] = [];
  readonly closed: Promise<void>;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.text += d;
      this.chunks.push(d);
      for (const w of this.waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    void this.closed.then(() => {
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on('error', () => undefined);
  }

  /** `allowHalfOpen`: the client's side stays open after the server's FIN (until end() or destroy()). */
  static connect(port: number, localAddress?: string, opts: { allowHalfOpen?: boolean } = {}): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect(
        {
          host: '127.0.0.1',
          port,
          ...(localAddress ? { localAddress } : {}),
          allowHalfOpen: opts.allowHalfOpen ?? false,
        },
        () => resolve(new RawClient(s)),
      );
      s.once('error', reject);
    });
  }

  /** Connects and reads the greeting. */
  static async open(port: number, localAddress?: string, opts: { allowHalfOpen?: boolean } = {}): Promise<RawClient> {
    const c = await RawClient.connect(port, localAddress, opts);
    await c.reply();
    return c;
  }

  send(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Sends a line (CRLF added) and returns the reply to it. */
  async cmd(line: string): Promise<string> {
    this.send(`${line}\r\n`);
    return this.reply();
  }

  /** The next complete reply (all its lines), or what is left when the server closes. */
  async reply(): Promise<string> {
    for (;;) {
      const m = /^(?:\d{3}-[^\n]*\n)*\d{3}(?: [^\n]*)?\n/.exec(this.text);
      if (m) {
        this.text = this.text.slice(m[0].length);
        return m[0];
      }
      if (this.socket.destroyed || this.socket.readableEnded) {
        const rest = this.text;
        this.text = '';
        if (rest === '') throw new Error('connection closed without a reply');
        return rest;
      }
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  /** Number of TCP reads seen so far. */
  get reads(): number {
    return this.chunks.length;
  }

  /** The text of read number i (0-based), waiting for it. */
  async read(i: number): Promise<string> {
    while (this.chunks.length <= i) {
      if (this.socket.destroyed || this.socket.readableEnded) throw new Error('closed');
      await new Promise<void>((r) => this.waiters.push(r));
    }
    return this.chunks[i]!;
  }

  /** Text received and not yet taken by reply(). */
  get unread(): string {
    return this.text;
  }

  end(): void {
    this.socket.end();
  }

  /** The TCP socket, to hand to tls.connect() after STARTTLS. */
  get tcp(): Socket {
    return this.socket;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A promise with its resolve function outside (Promise.withResolvers is Node 22). */
export function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
