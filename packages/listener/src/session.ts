/**
 * One inbound SMTP connection: a state machine over the states of states.ts. Input is pulled
 * from WireReader one item at a time, so pipelined commands run strictly in order; replies are
 * queued and written together once the available input is used up or before waiting on
 * something (RFC 2920 §3.1: one write per batch, never a reply held while blocking).
 */
import type { Socket } from 'node:net';
import { newMessageId, type Bus, type Clock, type Logger, type Recipient, type ReplyData, type TimerHandle } from '@petrel/core';
import { BUILTIN_VERBS, sequenceReply, type CommandSession } from './commands.js';
import type { DataResult } from './data-decoder.js';
import type { ExtensionRegistry } from './extensions.js';
import { DEFAULT_EXTENSION_STATES } from './extensions.js';
import { REPLIES, replyFor, toWire } from './replies.js';
import type { SessionSettings } from './settings.js';
import { checkTransition, isCommandState, type CommandState, type ServerState } from './states.js';
import { buildStoreRequest, type Transaction } from './transaction.js';
import { WireReader, type CommandLine } from './wire-reader.js';

/** Counters the listener exposes through stats(). */
export interface MutableStats {
  connectionsOpen: number;
  connectionsAccepted: number;
  connectionsRefused: number;
  messagesAccepted: number;
  rejections: number;
}

/** What the listener lends each session. */
export interface SessionHost {
  readonly settings: SessionSettings;
  readonly bus: Bus;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly extensions: ExtensionRegistry;
  readonly stats: MutableStats;
}

/** After our FIN, a client that does not close is dropped after this long. */
const LINGER_MS = 5_000;

export class Session implements CommandSession {
  private current: ServerState = 'just connected';
  readonly client: { readonly address: string; readonly port: number };
  helo: string | undefined;
  esmtp = false;
  tx: Transaction | undefined;
  private readonly reader: WireReader;
  private out = '';
  private errors = 0;
  private running = false;
  private waiting = false;
  private writeBlocked = false;
  private shuttingDown = false;
  private idleTimer: TimerHandle | undefined;
  /** Resolves once the socket is closed. */
  readonly closed: Promise<void>;

  constructor(
    private readonly socket: Socket,
    private readonly host: SessionHost,
    readonly connectionId: string,
  ) {
    this.client = { address: normalizeAddress(socket.remoteAddress ?? ''), port: socket.remotePort ?? 0 };
    const s = host.settings;
    this.reader = new WireReader({ maxLine: s.maxLine, maxData: s.maxMessageSize });
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => {
      this.writeBlocked = false;
      this.updateFlow();
      void this.pump();
    });
    socket.on('error', (err) => host.logger.debug({ err, connectionId }, 'client socket error'));
    socket.on('close', () => {
      this.host.clock.clearTimer(this.idleTimer);
      if (this.current !== 'closed') this.enter('closed');
    });
  }

  get state(): CommandState {
    // Verb handlers only ever run in a command state (see dispatch()).
    return this.current as CommandState;
  }

  get serverState(): ServerState {
    return this.current;
  }

  /** A getter, so that TypeScript does not narrow the state across awaits in pump(). */
  private get isClosed(): boolean {
    return this.current === 'closed';
  }

  get settings(): SessionSettings {
    return this.host.settings;
  }

  /** Greets the client, or refuses it when the listener is at max_connections. */
  open(overLimit: boolean): void {
    if (overLimit) {
      this.enter('concurrency limit');
      this.refuse(REPLIES.tooManyConnections);
      return this.close();
    }
    this.enter('sending banner');
    // No greeting delay: Petrel relays for known networks and needs no early-talker trap.
    this.reply(replyFor.greeting(this.settings.hostname));
    this.enter('awaiting ehlo/helo');
    this.flush();
    this.armIdle();
  }

  /** Graceful stop: idle sessions get 421 now, a message in flight first gets its reply. */
  shutdown(): void {
    this.shuttingDown = true;
    void this.pump();
  }

  /** Drops the connection at once (stop deadline). */
  destroy(): void {
    this.socket.destroy();
  }

  // ---- CommandSession -------------------------------------------------------------------

  reply(r: ReplyData): void {
    if (r.code >= 500) this.errors++;
    this.out += toWire(r);
  }

  refuse(r: ReplyData, about: { sender?: string; recipient?: string } = {}, phase: ServerState = this.current): void {
    this.reply(r);
    this.host.stats.rejections++;
    this.host.bus.publish('message.rejected', {
      time: this.host.clock.now(),
      phase,
      reply: { code: r.code, lines: r.lines, ...(r.enhanced !== undefined ? { enhanced: r.enhanced } : {}) },
      client: this.client,
      connectionId: this.connectionId,
      ...(this.socket.localAddress !== undefined ? { localAddress: normalizeAddress(this.socket.localAddress) } : {}),
      ...(this.helo !== undefined ? { helo: this.helo } : {}),
      ...(about.sender !== undefined ? { sender: about.sender } : {}),
      ...(about.recipient !== undefined ? { recipient: about.recipient } : {}),
    });
  }

  greet(helo: string, esmtp: boolean): void {
    this.helo = helo;
    this.esmtp = esmtp;
    this.tx = undefined;
    this.enter('awaiting mailfrom');
  }

  startTransaction(tx: Transaction): void {
    this.tx = tx;
    this.enter('awaiting rcptto');
  }

  addRecipient(r: Recipient): void {
    this.tx?.recipients.push(r);
  }

  beginData(): void {
    this.enter('reading body');
    this.reader.beginData();
  }

  reset(): void {
    this.tx = undefined;
    this.enter(this.helo === undefined ? 'awaiting ehlo/helo' : 'awaiting mailfrom');
  }

  quit(): void {
    this.reply(REPLIES.bye);
    this.close();
  }

  ehloKeywords(): string[] {
    return this.host.extensions.keywords();
  }

  verbs(): string[] {
    return [...BUILTIN_VERBS.keys(), ...this.host.extensions.verbs()];
  }

  // ---- input loop -----------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    if (this.current === 'closed') return;
    this.host.clock.clearTimer(this.idleTimer);
    this.reader.push(chunk);
    void this.pump();
  }

  /** Runs queued input until it is used up or the session waits; never two at once. */
  private async pump(): Promise<void> {
    if (this.running || this.current === 'closed') return;
    this.running = true;
    this.host.clock.clearTimer(this.idleTimer);
    try {
      while (!this.isClosed && !this.writeBlocked) {
        if (this.current === 'reading body') {
          const result = this.reader.readData();
          if (!result) break;
          await this.endOfData(result);
          continue;
        }
        if (this.shuttingDown && isCommandState(this.current)) {
          this.reply(REPLIES.shuttingDown);
          this.close();
          break;
        }
        const line = this.reader.nextCommand();
        if (!line) break;
        const pending = this.dispatch(line);
        if (pending) await this.wait(pending);
        if (this.errors >= this.settings.maxErrors && !this.isClosed) {
          // Postfix/Momentum practice: a client that keeps erring is dropped (RFC 5321 §4.1.1: 421).
          this.reply(replyFor.tooManyErrors(this.settings.hostname));
          this.close();
        }
      }
    } catch (err) {
      this.host.logger.error({ err, connectionId: this.connectionId }, 'listener session failed; dropping the connection');
      this.socket.destroy();
    } finally {
      this.running = false;
      this.flush();
      if (!this.isClosed && !this.writeBlocked) this.armIdle();
    }
  }

  private dispatch(line: CommandLine): Promise<void> | undefined {
    if (line.kind === 'error') {
      this.reply(line.error === 'too-long' ? REPLIES.lineTooLong : REPLIES.bareEolCommand);
      return undefined;
    }
    const sp = line.text.indexOf(' ');
    const verb = (sp < 0 ? line.text : line.text.slice(0, sp)).toUpperCase();
    const args = sp < 0 ? '' : line.text.slice(sp + 1);
    const state = this.state;
    const builtin = BUILTIN_VERBS.get(verb);
    if (builtin) {
      if (!builtin.states.includes(state)) {
        const r = sequenceReply(verb, state);
        if (builtin.transactional) this.refuse(r, this.tx ? { sender: this.tx.sender } : {});
        else this.reply(r);
        return undefined;
      }
      builtin.run(this, args);
      return undefined;
    }
    const ext = this.host.extensions.get(verb);
    if (!ext) {
      this.reply(REPLIES.unknownCommand);
      return undefined;
    }
    if (!(ext.states ?? DEFAULT_EXTENSION_STATES).includes(state)) {
      this.reply(sequenceReply(verb, state));
      return undefined;
    }
    const ctx = {
      state,
      connectionId: this.connectionId,
      client: this.client,
      helo: this.helo,
      sender: this.tx?.sender,
      recipients: [...(this.tx?.recipients ?? [])],
    };
    const failed = (err: unknown): void => {
      // A broken extension costs its command a 451, not the client its connection.
      this.host.logger.error({ err, verb, connectionId: this.connectionId }, 'SMTP extension failed');
      this.reply(REPLIES.localError);
    };
    try {
      const r = ext.handler(ctx, args);
      if (!(r instanceof Promise)) {
        this.reply(r);
        return undefined;
      }
      return r.then((reply) => this.reply(reply), failed);
    } catch (err) {
      failed(err);
      return undefined;
    }
  }

  /** The end of one message's data: refuse it, or store it and answer only once it is durable. */
  private async endOfData(result: DataResult): Promise<void> {
    const tx = this.tx;
    this.tx = undefined;
    this.enter('async body handler');
    const about = tx ? { sender: tx.sender } : {};
    if (result.bareEol) this.refuse(REPLIES.bareEolData, about, 'reading body');
    else if (result.oversize) this.refuse(REPLIES.sizeExceeded, about, 'reading body');
    else if (tx) await this.wait(this.store(tx, result.data));
    if (!this.isClosed) this.enter('awaiting mailfrom');
  }

  private async store(tx: Transaction, data: Buffer): Promise<void> {
    const now = this.host.clock.now();
    const id = newMessageId(now);
    const request = buildStoreRequest(tx, data, {
      id,
      receivedAt: now,
      hostname: this.settings.hostname,
      traceHeader: this.settings.traceHeader,
      client: { ...this.client, helo: this.helo ?? '' },
      esmtp: this.esmtp,
    });
    try {
      const stored = await this.host.bus.request('spool.store', request);
      this.host.stats.messagesAccepted++;
      this.reply(replyFor.queued(stored?.id || id));
    } catch (err) {
      // Whatever the spool's reason (PETREL_ERR_SPOOL_FULL, _WRITE, …) the client may retry: 452.
      this.host.logger.warn({ err, connectionId: this.connectionId, id }, 'spool.store failed; answered 452 4.3.1');
      this.refuse(REPLIES.storage, { sender: tx.sender });
    }
  }

  /** Flushes queued replies and stops reading while something asynchronous runs. */
  private async wait(p: Promise<void>): Promise<void> {
    this.flush();
    this.waiting = true;
    this.updateFlow();
    try {
      await p;
    } finally {
      this.waiting = false;
      this.updateFlow();
    }
  }

  // ---- output and lifecycle ---------------------------------------------------------------

  private flush(): void {
    if (this.out === '') return;
    const text = this.out;
    this.out = '';
    if (this.socket.destroyed || !this.socket.writable) return;
    if (!this.socket.write(text)) {
      this.writeBlocked = true;
      this.updateFlow();
    }
  }

  private updateFlow(): void {
    if (this.current === 'closed') return;
    if (this.waiting || this.writeBlocked) this.socket.pause();
    else this.socket.resume();
  }

  private close(): void {
    if (this.current === 'closed') return;
    this.flush();
    this.enter('closed');
    this.host.clock.clearTimer(this.idleTimer);
    this.socket.end();
    const linger = this.host.clock.setTimer(LINGER_MS, () => this.socket.destroy());
    this.socket.once('close', () => this.host.clock.clearTimer(linger));
  }

  private armIdle(): void {
    this.host.clock.clearTimer(this.idleTimer);
    this.idleTimer = this.host.clock.setTimer(this.settings.idleTimeout, () => {
      if (this.current === 'closed') return;
      this.reply(replyFor.timeout(this.settings.hostname));
      this.close();
    });
  }

  private enter(next: ServerState): void {
    checkTransition(this.current, next);
    this.current = next;
  }
}

/** "::ffff:127.0.0.1" (an IPv4 client on a dual-stack socket) is 127.0.0.1. */
function normalizeAddress(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : address;
}
