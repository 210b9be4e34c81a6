/**
 * Session start: connect (0), banner (12), EHLO (10/11) and the HELO fallback.
 */
import { Stage, type SmtpReply } from '@petrel/core';
import { parseCapabilities } from '../capabilities.js';
import { Connection, ConnectionLost } from '../connection.js';
import { SmtpSessionError } from '../errors.js';
import { connectFailedReply, internalReply } from '../internal-replies.js';
import type { ReplyHandler, SmtpState } from '../state.js';

export const connectState: SmtpState = {
  name: 'connect',
  phase: 'session',
  stage: Stage.NOT_CONNECTED,
  timeout: 'connect',
  async run(ctx) {
    ctx.conn?.destroy(); // a reconnect (plaintext fallback) starts from scratch
    ctx.capabilities = new Map();
    ctx.tlsInfo = undefined;
    ctx.ehloRefused = false;
    const o = ctx.options;
    try {
      ctx.conn = await Connection.open(
        {
          host: o.host,
          port: o.port,
          timeout: o.timeouts.connect,
          ...(o.localAddress ? { localAddress: o.localAddress } : {}),
        },
        {
          onWarning: (message, line) => ctx.emit('syntax-warning', { message, line }),
          ...(o.onTranscript ? { onTranscript: o.onTranscript } : {}),
          onClose: () => {
            ctx.usable = false;
            ctx.emit('disconnect');
          },
        },
      );
    } catch (err) {
      if (err instanceof ConnectionLost) {
        throw new SmtpSessionError(internalReply('connectTimedOut'), Stage.NOT_CONNECTED, {
          tryNextHost: true,
          timeout: true,
          cause: err,
        });
      }
      const errno = (err as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
      throw new SmtpSessionError(connectFailedReply(errno), Stage.NOT_CONNECTED, { tryNextHost: true, cause: err });
    }
    ctx.usable = true;
    ctx.emit('connect', { host: o.host, port: o.port });
  },
};

/** RFC 5321 §3.1: 220 = go on; 554 (or any 4xx/5xx) = this host will not talk: try the next. */
export const bannerState: SmtpState = {
  name: 'banner',
  phase: 'session',
  stage: Stage.READING_BANNER,
  timeout: 'banner',
  lost: { timeout: 'noBanner', closed: 'noBanner' },
  async run(ctx) {
    const reply = await ctx.requireConn().readReply(ctx.timeout('banner'));
    if (reply.code !== 220) throw new SmtpSessionError(reply, Stage.READING_BANNER, { tryNextHost: true });
  },
};

/** EHLO 4xx, HELO refused: this host will not talk to us now. */
function refused(stage: number): ReplyHandler {
  return (_ctx, reply: SmtpReply): void => {
    throw new SmtpSessionError(reply, stage, { tryNextHost: true });
  };
}

export const ehloState: SmtpState = {
  name: 'ehlo',
  phase: 'session',
  stage: Stage.DURING_EHLO,
  afterStage: Stage.AFTER_EHLO,
  timeout: 'ehlo',
  lost: { timeout: 'noEhloResponse' },
  send: (ctx) => [`EHLO ${ctx.options.ehloName}`],
  on: {
    positive(ctx, reply) {
      ctx.ehloRefused = false;
      ctx.capabilities = parseCapabilities(reply);
      ctx.requireConn().enhancedAdvertised = ctx.has('ENHANCEDSTATUSCODES');
    },
    transient: refused(Stage.DURING_EHLO),
    // RFC 5321 §4.1.1.1 / §3.2: a server that does not know EHLO says 5xx; fall back to HELO.
    permanent(ctx) {
      ctx.ehloRefused = true;
      ctx.capabilities = new Map();
    },
  },
};

export const heloState: SmtpState = {
  name: 'helo',
  phase: 'session',
  stage: Stage.DURING_EHLO,
  afterStage: Stage.AFTER_EHLO,
  timeout: 'ehlo',
  lost: { timeout: 'noEhloResponse' },
  applies: (ctx) => ctx.ehloRefused,
  send: (ctx) => [`HELO ${ctx.options.ehloName}`],
  on: { transient: refused(Stage.DURING_EHLO), permanent: refused(Stage.DURING_EHLO) },
};
