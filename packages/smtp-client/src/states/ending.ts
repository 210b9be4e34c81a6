/**
 * RSET between transactions (stages 13/14) and QUIT. A failed RSET leaves the session unusable
 * rather than raising: reset() answers with a boolean.
 */
import { Stage } from '@petrel/core';
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
  on: { positive: (ctx, reply) => { if (reply.code >= 300) unusable(ctx); }, transient: unusable, permanent: unusable },
};

/** RFC 5321 §4.1.1.10: QUIT, then the server closes; any reply (or none) ends the session. */
export const quitState: SmtpState = {
  name: 'quit',
  phase: 'quit',
  stage: Stage.IDLE,
  timeout: 'quit',
  send: () => ['QUIT'],
  on: { positive: unusable, transient: unusable, permanent: unusable },
};
