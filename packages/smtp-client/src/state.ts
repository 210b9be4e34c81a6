/**
 * What a client state is (STYLE.md §6; Momentum's struct _smtp_state, libESMTP's cmd_* + rsp_*
 * pairs): a named object declaring its stage code, its timeout key, what it sends and where each
 * reply class goes. The runner does the I/O; a state only decides.
 */
import type { SmtpReply } from '@petrel/core';
import type { StateContext } from './context.js';
import type { TimeoutKey } from './types.js';

/**
 * When a state runs: `session` in SmtpSession.open(), `transaction` in send(), `reset` in
 * reset(), `quit` in quit(). A run ends when the default order leaves its phase.
 */
export type Phase = 'session' | 'transaction' | 'reset' | 'quit';

/** A reply handler: `index` is the command's position among the lines the state sent. */
export type ReplyHandler = (ctx: StateContext, reply: SmtpReply, index: number) => void;

/** Where each reply class goes. A missing class: positive moves on; a failure ends the phase. */
export interface ReplyRoutes {
  /** 2xx and 3xx. */
  readonly positive?: ReplyHandler;
  /** 4xx (a 421 also marks the session unusable before the handler runs: RFC 5321 §3.8). */
  readonly transient?: ReplyHandler;
  /** 5xx. */
  readonly permanent?: ReplyHandler;
}

/**
 * The reply to record when a command gets none: a name from the internal reply table
 * (e.g. "noMailResponse") or a full reply text ("451 4.4.2 [internal] no NOOP response").
 */
export interface LostReplies {
  readonly timeout?: string;
  readonly closed?: string;
}

export interface SmtpState {
  /** Unique in its machine; next(name) and registerState's `after` use it. */
  readonly name: string;
  /** Default: the phase of the state it is inserted after. */
  readonly phase?: Phase;
  /** Momentum stage code while the state is in progress (reference §8, core's Stage). */
  readonly stage: number;
  /** Stage code once the state's reply is in (e.g. 11 after EHLO), if it has one. */
  readonly afterStage?: number;
  /** Which SessionTimeouts entry bounds the wait for each reply. */
  readonly timeout?: TimeoutKey;
  /** Internal replies for a missing reply (default: "connection closed by remote host"). */
  readonly lost?: LostReplies;
  /**
   * RFC 2920 §3.1: 'group' = may be followed by more commands before its reply is read
   * (MAIL, RCPT, RSET); 'last' = may end a pipelined group (DATA). Absent = never pipelined.
   */
  readonly pipelining?: 'group' | 'last';
  /**
   * True when the command's positive reply is an intermediate 3xx (DATA's 354, RFC 5321 §4.3.2),
   * false (default) when it is a 2xx. In a pipelined group a positive reply of the other kind
   * cannot be this command's: the replies are out of step with the commands.
   */
  readonly goAhead?: boolean;
  /** False = skip this state and take the default successor. */
  applies?(ctx: StateContext): boolean;
  /** The command lines to send (no CRLF); one reply is read per line. */
  send?(ctx: StateContext): readonly string[];
  /** Where each reply class goes. */
  readonly on?: ReplyRoutes;
  /** For exchanges that are not "one reply per line" (connect, TLS, AUTH, body): do it all here. */
  run?(ctx: StateContext): Promise<void>;
}
