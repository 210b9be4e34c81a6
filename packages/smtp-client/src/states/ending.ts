/**
 * RSET between transactions (stages 13/14) and QUIT. A failed RSET leaves the session unusable
 * rather than raising: reset() answers with a boolean.
 */
import { Stage, type SmtpReply } from '@petrel/core';
import type { StateContext } from '../context.js';
import type { SmtpState } from '../state.js';

const unusable = (ctx: StateContext): void => {
  ctx.usable = false;
};

export const rsetState: SmtpState = {
  name: 'rset',
  phase: 'reset',
  stage: Stage.DURING_RSET,
  afterStage: Stage.AFTER_RSET,
  timeout: 'rset',
  lost: { timeout: 'noRsetResponse' },
  pipelining: 'group',
  send: () => ['RSET'],
  on: {
    positive: (ctx, reply) => {
      if (reply.code >= 300) unusable(ctx);
    },
    transient: unusable,
    permanent: unusable,
  },
};

/**
 * The RSET that reset() deferred when the server pipelines: it leads the next transaction's group
 * (RFC 2920 §3.1: RSET may appear anywhere in a group), so a reused connection costs one round
 * trip fewer per message. Any refusal ends the session; the transaction's recipients stay
 * transient (nothing of theirs was sent).
 */
export const pipelinedRsetState: SmtpState = {
  name: 'pipelined-rset',
  phase: 'transaction',
  stage: Stage.DURING_RSET,
  afterStage: Stage.AFTER_RSET,
  timeout: 'rset',
  lost: { timeout: 'noRsetResponse' },
  pipelining: 'group',
  applies: (ctx) => ctx.resetPending,
  send(ctx) {
    ctx.resetPending = false;
    return ['RSET'];
  },
  on: {
    positive: (ctx, reply) => {
      if (reply.code >= 300) rsetFailed(ctx, reply);
    },
    transient: (ctx, reply) => rsetFailed(ctx, reply),
    permanent: (ctx, reply) => rsetFailed(ctx, reply),
  },
};

function rsetFailed(ctx: StateContext, reply: SmtpReply): void {
  ctx.usable = false;
  ctx.tx?.settleAll(reply, Stage.DURING_RSET, 'pending', 'transient');
}

/** RFC 5321 §4.1.1.10: QUIT, then the server closes; any reply (or none) ends the session. */
export const quitState: SmtpState = {
  name: 'quit',
  phase: 'quit',
  stage: Stage.IDLE,
  timeout: 'quit',
  send: () => ['QUIT'],
  on: { positive: unusable, transient: unusable, permanent: unusable },
};
