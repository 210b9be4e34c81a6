/**
 * SmtpSession: one outbound SMTP connection, driven by a state machine. open() runs the session
 * phase, send() the transaction phase, reset() RSET, quit() QUIT. Protocol outcomes are results,
 * never exceptions, once the session is open.
 */
import { EventEmitter } from 'node:events';
import { PetrelError, SmtpReply, Stage } from '@petrel/core';
import { StateContext } from './context.js';
import { SmtpSessionError } from './errors.js';
import { internalReply } from './internal-replies.js';
import { runPhase } from './runner.js';
import { defaultStateMachine, type StateMachine } from './state-machine.js';
import { TransactionState } from './transaction-state.js';
import type { Capabilities, SessionOptions, Transaction, TransactionResult } from './types.js';
import type { TlsVerdict } from './tls-auth.js';

export class SmtpSession extends EventEmitter {
  private readonly ctx: StateContext;
  private readonly machine: StateMachine;
  private busy = false;

  private constructor(opts: SessionOptions) {
    super();
    this.machine = opts.machine ?? defaultStateMachine;
    this.ctx = new StateContext(opts, this, (name) => this.machine.getState(name) !== undefined);
  }

  /**
   * Connects, reads the banner, says EHLO (HELO if refused), STARTTLS per policy and AUTH if
   * given. Rejects with SmtpSessionError. `listen` attaches event listeners before anything runs.
   */
  static async open(opts: SessionOptions, listen?: (session: SmtpSession) => void): Promise<SmtpSession> {
    const s = new SmtpSession(opts);
    listen?.(s);
    try {
      await runPhase(s.machine, s.ctx, 'session');
    } catch (err) {
      s.destroy();
      throw err;
    }
    s.ctx.stage = Stage.IDLE;
    return s;
  }

  get capabilities(): Capabilities {
    return this.ctx.capabilities;
  }

  get remoteAddress(): string {
    return this.ctx.conn?.socket.remoteAddress ?? this.ctx.options.host;
  }

  get remotePort(): number {
    return this.ctx.conn?.socket.remotePort ?? this.ctx.options.port;
  }

  /** The source address the socket is bound to. */
  get localAddress(): string | undefined {
    return this.ctx.conn?.socket.localAddress;
  }

  get tls(): { protocol: string; cipher: string } | undefined {
    return this.ctx.tlsInfo;
  }

  /** The verdict on the server under SessionOptions.tlsAuth; undefined without a policy or before STARTTLS. */
  get tlsVerdict(): TlsVerdict | undefined {
    return this.ctx.tlsVerdict;
  }

  get usable(): boolean {
    return this.ctx.usable && this.ctx.conn !== undefined && !this.ctx.conn.isClosed;
  }

  /** Momentum stage code the session is in (1 = idle between transactions). */
  get stage(): number {
    return this.ctx.stage;
  }

  /** One transaction; every recipient gets exactly one result, in order. */
  async send(tx: Transaction): Promise<TransactionResult> {
    const t = new TransactionState(tx);
    if (tx.recipients.length === 0) return { recipients: [], sessionUsable: this.usable };
    if (!this.usable) {
      return { recipients: t.finish(internalReply('closedByRemote'), Stage.NOT_CONNECTED), sessionUsable: false };
    }
    this.enter('send');
    this.ctx.tx = t;
    try {
      await runPhase(this.machine, this.ctx, 'transaction');
    } catch (err) {
      // A session error in a transaction state (custom states may raise one) still yields results.
      if (!(err instanceof SmtpSessionError)) throw err;
      this.ctx.usable = false;
      t.settleAll(SmtpReply.from(err.reply), err.stage, 'pending', 'transient');
    } finally {
      this.ctx.tx = undefined;
      this.busy = false;
    }
    // Whoever is left without a reply after a 421 gets the 421; after a silent close, Momentum's text.
    const recipients = t.finish(this.ctx.closing ?? internalReply('closedByRemote'), this.ctx.stage);
    if (this.usable) this.ctx.stage = Stage.IDLE;
    return { recipients, sessionUsable: this.usable };
  }

  /**
   * RSET before the next transaction; false = the session is not usable any more. With
   * PIPELINING the RSET is deferred and sent in the next transaction's group; a refusal then
   * shows in that transaction's results (transient, stage 13).
   */
  async reset(): Promise<boolean> {
    if (!this.usable) return false;
    if (this.ctx.pipelining) {
      // The RSET leads the next transaction's pipelined group instead of costing a round trip now.
      this.ctx.resetPending = true;
      return true;
    }
    this.enter('reset');
    try {
      await runPhase(this.machine, this.ctx, 'reset');
    } catch {
      this.ctx.usable = false;
    } finally {
      this.busy = false;
    }
    if (!this.usable) this.destroy();
    else this.ctx.stage = Stage.IDLE;
    return this.usable;
  }

  /** QUIT and close, bounded by timeouts.quit; never rejects. */
  async quit(): Promise<void> {
    const conn = this.ctx.conn;
    if (!conn || conn.isClosed) return;
    this.ctx.resetPending = false; // QUIT needs no RSET before it (RFC 5321 §4.1.1.10)
    this.enter('quit');
    try {
      await runPhase(this.machine, this.ctx, 'quit');
    } catch {
      // the connection is closed below either way
    } finally {
      this.busy = false;
      this.ctx.usable = false;
      conn.end();
      conn.destroy();
    }
  }

  /** Closes at once. */
  destroy(): void {
    this.ctx.usable = false;
    this.ctx.conn?.destroy();
  }

  private enter(what: string): void {
    if (this.busy)
      throw new PetrelError('PETREL_ERR_SMTP_STATE', `${what}() while another operation is running`, { what });
    this.busy = true;
  }
}
