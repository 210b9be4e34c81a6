/**
 * One TCP (later TLS) connection: writes lines and blocks, and hands the runner the next parsed
 * reply within a timeout. Replies are values queued in arrival order; the runner pairs them with
 * the commands it sent, in its own order (no callbacks hidden in a queue).
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import type { SmtpReply } from '@petrel/core';
import { ReplyReader, type ParsedReply } from './reply-reader.js';

/**
 * Why no reply came: the runner maps it to an internal reply. 'out-of-step': a reply came that
 * cannot answer the command waiting for it (pipelined replies no longer pair with commands).
 */
export class ConnectionLost extends Error {
  constructor(
    readonly kind: 'timeout' | 'closed' | 'out-of-step',
    message: string,
    /** Overrides of the state's declared internal reply (name or text) and stage. */
    readonly override: { reply?: string; stage?: number } = {},
  ) {
    super(message);
    this.name = 'ConnectionLost';
  }
}

export interface ConnectionHooks {
  onWarning(message: string, line: string): void;
  onTranscript?(direction: 'c' | 's', line: string): void;
  onClose(): void;
}

/** Bounds replies nobody asked for (a peer talking to itself). */
const MAX_UNREAD = 64;

export class Connection {
  private readonly reader: ReplyReader;
  private readonly unread: ParsedReply[] = [];
  private waiter: { resolve(r: ParsedReply): void; reject(e: Error): void } | undefined;
  private closed = false;
  private lastError: Error | undefined;
  socket: Socket | TLSSocket;
  /** A malformed reply was seen: the stream may be out of step. */
  desynced = false;

  private constructor(
    socket: Socket,
    private readonly hooks: ConnectionHooks,
  ) {
    this.socket = socket;
    this.reader = new ReplyReader({
      onReply: (p) => this.deliver(p),
      onWarning: (m, l) => hooks.onWarning(m, l),
      onLine: hooks.onTranscript ? (l) => hooks.onTranscript!('s', l) : undefined,
    });
    this.attach(socket);
  }

  /** TCP connect bound to localAddress, within `timeout` ms. */
  static open(
    opts: { host: string; port: number; localAddress?: string; timeout: number },
    hooks: ConnectionHooks,
  ): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({
        host: opts.host,
        port: opts.port,
        ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
      });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ConnectionLost('timeout', `connect to ${opts.host}:${opts.port} timed out`));
      }, opts.timeout);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.setNoDelay(true);
        resolve(new Connection(socket, hooks));
      });
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  set enhancedAdvertised(v: boolean) {
    this.reader.enhancedAdvertised = v;
  }

  /**
   * The next reply, or ConnectionLost after `timeout` ms (the connection is then closed: a late reply would be
   * misread).
   */
  readReply(timeout: number): Promise<SmtpReply> {
    const ready = this.unread.shift();
    if (ready) return Promise.resolve(ready.reply);
    if (this.closed) return Promise.reject(new ConnectionLost('closed', this.closedText()));
    return new Promise<ParsedReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new ConnectionLost('timeout', `no reply within ${timeout} ms`));
        this.destroy();
      }, timeout);
      this.waiter = {
        resolve: (p) => {
          clearTimeout(timer);
          resolve(p);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    }).then((p) => p.reply);
  }

  /** Writes command lines (one socket write for all of them: RFC 2920 §3.1 batches). */
  writeLines(lines: readonly string[], shown: readonly string[] = lines): void {
    if (lines.length === 0) return;
    for (const l of shown) this.hooks.onTranscript?.('c', l);
    if (this.closed) return;
    this.socket.write(lines.map((l) => `${l}\r\n`).join(''));
  }

  /**
   * Writes body segments as one block and resolves when the socket can take more; rejects with
   * ConnectionLost('timeout') if it does not drain within `timeout` ms (RFC 5321 §4.5.3.2.5).
   */
  writeBlock(segments: readonly Buffer[], timeout: number): Promise<void> {
    if (this.closed) return Promise.reject(new ConnectionLost('closed', this.closedText()));
    const s = this.socket;
    s.cork();
    let ok = true;
    for (const seg of segments) ok = s.write(seg);
    s.uncork();
    if (ok && s.writableLength === 0) return Promise.resolve();
    if (ok) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (err?: Error): void => {
        clearTimeout(timer);
        s.off('drain', onDrain);
        s.off('close', onClose);
        if (err) reject(err);
        else resolve();
      };
      const onDrain = (): void => done();
      const onClose = (): void => done(new ConnectionLost('closed', this.closedText()));
      const timer = setTimeout(() => {
        done(new ConnectionLost('timeout', `body block not drained within ${timeout} ms`));
        this.destroy();
      }, timeout);
      s.on('drain', onDrain);
      s.on('close', onClose);
    });
  }

  /** Bytes received that are not yet a whole reply. */
  get pendingBytes(): number {
    return this.reader.pendingBytes + this.unread.length;
  }

  /**
   * RFC 3207 §4.2: after 220 to STARTTLS, negotiate TLS on the same socket and forget every byte
   * read before it. Resolves with the TLS socket once the handshake (and its checks) passed.
   */
  upgrade(options: ConnectionOptions, timeout: number): Promise<TLSSocket> {
    const plain = this.socket as Socket;
    this.detach(plain);
    this.reader.reset();
    this.unread.length = 0;
    return new Promise((resolve, reject) => {
      const tls = tlsConnect({ ...options, socket: plain });
      const timer = setTimeout(() => {
        tls.destroy();
        reject(new ConnectionLost('timeout', `TLS handshake not done within ${timeout} ms`));
      }, timeout);
      const fail = (err: Error): void => {
        clearTimeout(timer);
        tls.destroy();
        this.markClosed();
        reject(err);
      };
      tls.once('error', fail);
      tls.once('secureConnect', () => {
        clearTimeout(timer);
        tls.off('error', fail);
        this.socket = tls;
        this.attach(tls);
        resolve(tls);
      });
    });
  }

  /** Closes gracefully after pending writes. */
  end(): void {
    if (!this.closed) this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
    this.markClosed();
  }

  private attach(s: Socket): void {
    s.on('data', this.onData);
    s.on('error', this.onError);
    s.on('close', this.onClose);
  }

  private detach(s: Socket): void {
    s.off('data', this.onData);
    s.off('error', this.onError);
    s.off('close', this.onClose);
  }

  private readonly onData = (chunk: Buffer): void => this.reader.push(chunk);
  private readonly onError = (err: Error): void => {
    this.lastError = err;
  };
  private readonly onClose = (): void => this.markClosed();

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(new ConnectionLost('closed', this.closedText()));
    this.hooks.onClose();
  }

  private closedText(): string {
    return this.lastError ? `connection closed: ${this.lastError.message}` : 'connection closed by remote host';
  }

  private deliver(p: ParsedReply): void {
    if (p.malformed) this.desynced = true;
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w.resolve(p);
    } else if (this.unread.length < MAX_UNREAD) this.unread.push(p);
  }
}
