import { PetrelError, SmtpReply, type ReplyData } from '@petrel/core';

/**
 * Why a session could not be opened (or went away): the server's reply, or one of Momentum's
 * internal replies (reference §6), with the stage code it happened in (reference §8).
 */
export class SmtpSessionError extends PetrelError {
  readonly reply: ReplyData;
  readonly stage: number;
  /**
   * True when another MX/IP may do better: connect failure, 4xx/5xx/421 banner, EHLO+HELO refused, TLS required but
   * absent.
   */
  readonly tryNextHost: boolean;

  constructor(reply: ReplyData, stage: number, opts: { tryNextHost: boolean; timeout?: boolean; cause?: unknown }) {
    const r = SmtpReply.from(reply);
    super(
      opts.timeout ? 'PETREL_ERR_SMTP_TIMEOUT' : 'PETREL_ERR_SMTP_PROTOCOL',
      r.toString(),
      {
        reply: r,
        stage,
        tryNextHost: opts.tryNextHost,
      },
      opts.cause === undefined ? undefined : { cause: opts.cause },
    );
    this.name = 'SmtpSessionError';
    this.reply = r;
    this.stage = stage;
    this.tryNextHost = opts.tryNextHost;
  }
}
