/**
 * The message body (stage 8) and the final dot's reply (stage 9, "reading confirmation").
 */
import { Stage, type SmtpReply } from '@petrel/core';
import { END_OF_DATA, encodeBody } from '../body-encoder.js';
import { ConnectionLost } from '../connection.js';
import type { SmtpState } from '../state.js';

export const bodyState: SmtpState = {
  name: 'body',
  phase: 'transaction',
  stage: Stage.SENDING_BODY,
  afterStage: Stage.READING_CONFIRMATION,
  timeout: 'body',
  lost: { timeout: 'noBodyResponse' },
  applies: (ctx) => ctx.tx?.dataAccepted === true,
  async run(ctx) {
    const t = ctx.tx!;
    const conn = ctx.requireConn();
    if (t.accepted.length === 0) {
      // RFC 2920 §3.1: DATA got 354 although no RCPT was accepted: end it with an empty body.
      conn.writeLines(['.']);
      await ctx.read('body');
      return;
    }
    let sent = 0;
    try {
      // The final dot travels in the last block's write: one syscall fewer per message.
      const blocks = encodeBody(t.body);
      let cur = blocks.next();
      if (cur.done) {
        await conn.writeBlock([END_OF_DATA], ctx.timeout('dataBlock'));
      }
      while (!cur.done) {
        const block = cur.value;
        cur = blocks.next();
        const segments = cur.done ? [...block.segments, END_OF_DATA] : block.segments;
        // Each block must drain within dataBlock (RFC 5321 §4.5.3.2.5): the peer's backpressure is honoured.
        await conn.writeBlock(segments, ctx.timeout('dataBlock'));
        sent += block.bytes;
        ctx.emit('message-data', sent);
      }
    } catch (err) {
      if (err instanceof ConnectionLost) {
        throw new ConnectionLost(err.kind, err.message, {
          reply: err.kind === 'timeout' ? 'sendBodyFailed' : 'closedByRemote',
          stage: Stage.SENDING_BODY,
        });
      }
      throw err;
    }
    ctx.options.onTranscript?.('c', `[body: ${sent} octets]`);
    ctx.options.onTranscript?.('c', '.');
    ctx.stage = Stage.READING_CONFIRMATION;
    let reply: SmtpReply;
    try {
      reply = await ctx.read('body');
    } catch (err) {
      if (err instanceof ConnectionLost)
        throw new ConnectionLost(err.kind, err.message, { stage: Stage.READING_CONFIRMATION });
      throw err;
    }
    // The one reply to the dot is every accepted recipient's final answer (RFC 5321 §4.1.1.4).
    t.settleAll(
      reply,
      Stage.READING_CONFIRMATION,
      'accepted',
      reply.code >= 300 && !reply.isPermanent() ? 'transient' : undefined,
    );
    ctx.emit('message-sent', { reply, bytes: sent });
  },
};
