/**
 * CHUNKING (RFC 3030): the body in BDAT chunks instead of DATA + dot. No dot-stuffing and no end
 * marker: each chunk says its size, the last says LAST. With PIPELINING every chunk goes out
 * before any reply is read (RFC 3030 §4.2); without, each chunk waits for its 250. The reply to
 * BDAT LAST is every accepted recipient's final answer, like the reply to the dot.
 */
import { Stage, type SmtpReply } from '@petrel/core';
import { ConnectionLost } from '../connection.js';
import type { StateContext } from '../context.js';
import type { SmtpState } from '../state.js';
import type { TransactionState } from '../transaction-state.js';

/** Chunk size: large enough that headers cost nothing, small enough to honour backpressure often. */
export const BDAT_CHUNK = 256 * 1024;

function settle(t: TransactionState, reply: SmtpReply, stage: number): void {
  t.settleAll(reply, stage, 'accepted', reply.code >= 300 && !reply.isPermanent() ? 'transient' : undefined);
}

async function read(ctx: StateContext, last: boolean): Promise<SmtpReply> {
  try {
    return await ctx.read(last ? 'body' : 'data');
  } catch (err) {
    if (err instanceof ConnectionLost) {
      throw new ConnectionLost(err.kind, err.message, {
        reply: err.kind === 'timeout' ? 'noBdatResponse' : 'closedByRemote',
        stage: last ? Stage.READING_CONFIRMATION : Stage.SENDING_BODY,
      });
    }
    throw err;
  }
}

export const bdatState: SmtpState = {
  name: 'bdat',
  phase: 'transaction',
  stage: Stage.SENDING_BODY,
  afterStage: Stage.READING_CONFIRMATION,
  timeout: 'body',
  lost: { timeout: 'noBdatResponse' },
  applies: (ctx) => ctx.chunking && ctx.tx !== undefined && !ctx.tx.mailRefused && ctx.tx.accepted.length > 0,
  async run(ctx) {
    const t = ctx.tx!;
    const conn = ctx.requireConn();
    const body = t.body;
    const chunks = Math.max(1, Math.ceil(body.length / BDAT_CHUNK));
    let sent = 0;
    let unread = 0;
    for (let i = 0; i < chunks; i++) {
      const part = body.subarray(i * BDAT_CHUNK, (i + 1) * BDAT_CHUNK);
      const last = i === chunks - 1;
      const cmd = `BDAT ${part.length}${last ? ' LAST' : ''}`;
      ctx.options.onTranscript?.('c', cmd);
      try {
        await conn.writeBlock([Buffer.from(`${cmd}\r\n`), part], ctx.timeout('dataBlock'));
      } catch (err) {
        if (err instanceof ConnectionLost) {
          throw new ConnectionLost(err.kind, err.message, {
            reply: err.kind === 'timeout' ? 'sendBodyFailed' : 'closedByRemote',
            stage: Stage.SENDING_BODY,
          });
        }
        throw err;
      }
      sent += part.length;
      ctx.emit('message-data', sent);
      unread++;
      if (ctx.pipelining && !last) continue;
      // Read what is owed: every chunk's reply, in order (RFC 3030 §4.2).
      while (unread > 0) {
        unread--;
        const isLast = last && unread === 0;
        ctx.stage = isLast ? Stage.READING_CONFIRMATION : Stage.SENDING_BODY;
        const reply = await read(ctx, isLast);
        if (reply.code !== 250 || !ctx.usable) {
          // RFC 3030 §2: a failed chunk fails the transaction; the rest is not sent and RSET follows.
          settle(t, reply, ctx.stage);
          if (!isLast) ctx.usable = false; // replies to chunks already sent would be out of step
          return;
        }
        if (isLast) {
          ctx.options.onTranscript?.('c', `[body: ${sent} octets in ${chunks} BDAT chunk(s)]`);
          settle(t, reply, Stage.READING_CONFIRMATION);
          ctx.emit('message-sent', { reply, bytes: sent });
        }
      }
    }
  },
};
