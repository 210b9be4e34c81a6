/**
 * The state context: what a state may read and decide on. One per session; built-in and
 * custom states get the same object (Momentum passes its dc/connh likewise).
 */
import { PetrelError, SmtpReply } from '@petrel/core';
import type { EventEmitter } from 'node:events';
import type { Connection } from './connection.js';
import { INTERNAL, type InternalReplyName } from './internal-replies.js';
import type { TransactionState } from './transaction-state.js';
import type { TlsVerdict } from './tls-auth.js';
import type { Capabilities, SessionEvents, SessionOptions, TimeoutKey } from './types.js';

export class StateContext {
  /** The session's options (read only). */
  readonly options: Readonly<SessionOptions>;
  /** EHLO capabilities; empty until EHLO, and again after STARTTLS until the second EHLO (RFC 3207 §4.2). */
  capabilities: Capabilities = new Map();
  /** The current transaction, in the transaction phase only. */
  tx: TransactionState | undefined;
  /** Scratch space for custom states (Momentum's closure / init_local_state). */
  readonly data = new Map<string, unknown>();
  /** The last stage code reached (reference §8). */
  stage = 0;
  /** The connection; undefined before connect. */
  conn: Connection | undefined;
  /** EHLO got a 5xx: HELO is the fallback (RFC 5321 §4.1.1.1). */
  ehloRefused = false;
  /** TLS is up on this connection. */
  tlsInfo: { protocol: string; cipher: string } | undefined;
  /** The verdict on the server under options.tlsAuth, once STARTTLS was tried (tls-auth.ts). */
  tlsVerdict: TlsVerdict | undefined;
  /** Set after a failed handshake under tls=ifavailable with fallback: reconnect in plaintext. */
  skipStarttls = false;
  /** False after 421, a lost connection, a timeout or a malformed reply. */
  usable = false;
  /** The 421 the server closed with (RFC 5321 §3.8): the reply for everything left unanswered. */
  closing: SmtpReply | undefined;
  /** reset() deferred its RSET into the next pipelined group (RFC 2920 §3.1). */
  resetPending = false;
  private nextName: string | undefined;

  constructor(
    options: SessionOptions,
    private readonly emitter: EventEmitter,
    private readonly knows: (name: string) => boolean,
  ) {
    this.options = options;
  }

  /** Picks the state to run after this one (Momentum's smtp_next_state); else the default order holds. */
  next(name: string): void {
    if (!this.knows(name)) throw new PetrelError('PETREL_ERR_SMTP_STATE', `next(): no state named "${name}"`, { name });
    this.nextName = name;
  }

  /** @internal The runner takes the pending next() choice. */
  takeNext(): string | undefined {
    const n = this.nextName;
    this.nextName = undefined;
    return n;
  }

  /** True when `name` is advertised in EHLO. */
  has(keyword: string): boolean {
    return this.capabilities.has(keyword.toUpperCase());
  }

  timeout(key: TimeoutKey): number {
    return this.options.timeouts[key];
  }

  /** Pipelining is on for this session: asked for and advertised (RFC 2920 §3). */
  get pipelining(): boolean {
    return this.options.pipelining !== false && this.has('PIPELINING');
  }

  /** BDAT is on for this session: asked for (use_chunking) and advertised (RFC 3030 §2). */
  get chunking(): boolean {
    return this.options.chunking !== false && this.has('CHUNKING');
  }

  /** One command, one reply, for run() states (AUTH, STARTTLS). `shown` replaces the line in the transcript. */
  async exchange(line: string, timeout: TimeoutKey, shown?: string): Promise<SmtpReply> {
    const conn = this.requireConn();
    conn.writeLines([line], [shown ?? line]);
    return this.observe(await conn.readReply(this.timeout(timeout)));
  }

  /** Reads the next reply for a run() state, observing it like the runner does. */
  async read(timeout: TimeoutKey): Promise<SmtpReply> {
    return this.observe(await this.requireConn().readReply(this.timeout(timeout)));
  }

  /**
   * Every reply passes here: 421 means the server is closing (RFC 5321 §3.8), and a malformed
   * reply means the stream may be out of step; either way the session is not reused.
   */
  observe(reply: SmtpReply): SmtpReply {
    if (reply.code === 421) this.closing ??= reply;
    if (reply.code === 421 || this.conn?.desynced) this.usable = false;
    return reply;
  }

  requireConn(): Connection {
    if (!this.conn) throw new PetrelError('PETREL_ERR_SMTP_STATE', 'no connection yet', {});
    return this.conn;
  }

  /** Emits one of the session's libESMTP-named events (SessionEvents: an unknown name does not compile). */
  emit<K extends keyof SessionEvents>(event: K, ...args: SessionEvents[K]): void {
    this.emitter.emit(event, ...args);
  }
}

/** An internal reply from its table name, or a full reply text. */
export function replyFor(nameOrText: string, detail?: string): SmtpReply {
  const text = (INTERNAL as Record<string, string>)[nameOrText] ?? nameOrText;
  return SmtpReply.parse(detail === undefined ? text : `${text} (${detail})`);
}

export type { InternalReplyName };
