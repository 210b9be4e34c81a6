/**
 * The envelope: MAIL (stage 2), RCPT (stage 4), DATA (stage 6). All three may travel in one
 * pipelined write (RFC 2920 §3.1: MAIL and RCPT anywhere in a group, DATA only last).
 */
import { Stage, type SmtpReply } from '@petrel/core';
import { sizeLimit } from '../capabilities.js';
import type { StateContext } from '../context.js';
import { internalReply, sizeExceededReply, smtputf8Reply } from '../internal-replies.js';
import type { SmtpState } from '../state.js';
import type { TransactionState } from '../transaction-state.js';
import { orcptParam, xtext } from '../xtext.js';
import { downconvert } from '../downconvert.js';
import { needsSmtputf8 } from '../smtputf8.js';

function txOf(ctx: StateContext): TransactionState {
  if (!ctx.tx) throw new Error('transaction state outside a transaction');
  return ctx.tx;
}

/** Refusals we owe the sender before sending anything (STYLE.md §8: limits enforced, at once). */
function precheck(ctx: StateContext): SmtpReply | undefined {
  const t = txOf(ctx);
  const tx = t.tx;
  if (tx.smtputf8 && !ctx.has('SMTPUTF8')) {
    ctx.emit('extension-not-available', 'SMTPUTF8');
    // RFC 6531 §3.4: UTF-8 addresses or headers are not downgraded here; the message fails for
    // these recipients. An all-ASCII one needs nothing of SMTPUTF8 and goes without the parameter.
    if (needsSmtputf8(tx, t.body)) return smtputf8Reply();
  }
  if (tx.bodyType === 'BINARYMIME' && !(ctx.chunking && ctx.has('BINARYMIME'))) {
    // RFC 3030 §3: BODY=BINARYMIME only with BDAT, and only to a server that advertises both.
    ctx.emit('extension-not-available', ctx.chunking ? 'BINARYMIME' : 'CHUNKING');
    return internalReply('binaryMime');
  }
  if (tx.bodyType === '8BITMIME' && !ctx.has('8BITMIME')) {
    const refusal = downgrade8bit(ctx, t);
    if (refusal) return refusal;
  }
  const limit = sizeLimit(ctx.capabilities);
  // RFC 1870 §6.1: never send more than the advertised SIZE; 552 5.3.4 is permanent.
  if (limit !== undefined && t.body.length > limit) return sizeExceededReply(t.body.length, limit);
  return undefined;
}

/** RFC 6152 §3 / RFC 1652 §4: no 8-bit body to a server without 8BITMIME, per transform_8bitmime_content. */
function downgrade8bit(ctx: StateContext, t: TransactionState): SmtpReply | undefined {
  ctx.emit('extension-not-available', '8BITMIME');
  const mode = ctx.options.transform8bit ?? 'ifneeded';
  if (mode === 'no') return undefined; // sent as is, BODY= omitted: the operator asked for it
  const d = downconvert(t.body);
  if (mode === 'strict' && !d.clean) return internalReply('eightBitRemains');
  t.body = d.body;
  if (d.clean) t.bodyType = '7BIT';
  return undefined;
}

/** MAIL FROM with the parameters the server advertised (RFC 1870, 6152, 3030, 6531, 3461). */
export function mailCommand(ctx: StateContext): string {
  const t = txOf(ctx);
  const tx = t.tx;
  const params: string[] = [];
  if (ctx.has('SIZE')) params.push(`SIZE=${t.body.length}`);
  if (t.bodyType === '8BITMIME' && ctx.has('8BITMIME')) params.push('BODY=8BITMIME');
  if (t.bodyType === 'BINARYMIME') params.push('BODY=BINARYMIME'); // precheck made sure of BDAT
  if (tx.smtputf8 && ctx.has('SMTPUTF8')) params.push('SMTPUTF8'); // precheck let an all-ASCII one through without it
  if (tx.ret !== undefined || tx.envid !== undefined) {
    if (ctx.has('DSN')) {
      if (tx.ret !== undefined) params.push(`RET=${tx.ret}`);
      if (tx.envid !== undefined) params.push(`ENVID=${xtext(tx.envid)}`);
    } else ctx.emit('extension-not-available', 'DSN');
  }
  if (tx.mailParams) params.push(...tx.mailParams);
  return [`MAIL FROM:<${tx.sender}>`, ...params].join(' ');
}

/** RCPT TO with NOTIFY/ORCPT only when DSN is advertised (RFC 3461 §4.1, §4.2). */
export function rcptCommands(ctx: StateContext): string[] {
  const dsn = ctx.has('DSN');
  return txOf(ctx).tx.recipients.map((r) => {
    const params: string[] = [];
    if (dsn && r.notify && r.notify.length > 0) params.push(`NOTIFY=${r.notify.join(',')}`);
    if (dsn && r.orcpt) params.push(orcptParam(r.orcpt));
    if (r.params) params.push(...r.params);
    return [`RCPT TO:<${r.address}>`, ...params].join(' ');
  });
}

function mailRefused(ctx: StateContext, reply: SmtpReply): void {
  const t = txOf(ctx);
  t.mailReply = reply;
  t.mailRefused = true;
  // RFC 5321 §4.5.4.1: a MAIL failure is every recipient's failure.
  t.settleAll(reply, Stage.DURING_MAIL_FROM, 'pending', reply.isPermanent() ? undefined : 'transient');
  ctx.emit('mail-status', { sender: t.tx.sender, reply });
}

export const mailState: SmtpState = {
  name: 'mail',
  phase: 'transaction',
  stage: Stage.DURING_MAIL_FROM,
  afterStage: Stage.AFTER_MAIL_FROM,
  timeout: 'mailfrom',
  lost: { timeout: 'noMailResponse' },
  pipelining: 'group',
  send(ctx) {
    const t = txOf(ctx);
    const refusal = precheck(ctx);
    if (refusal) {
      t.mailRefused = true;
      t.settleAll(refusal, Stage.DURING_MAIL_FROM);
      return [];
    }
    return [mailCommand(ctx)];
  },
  on: {
    positive(ctx, reply) {
      if (reply.code >= 300) return mailRefused(ctx, reply); // 3xx to MAIL is nonsense: not accepted
      txOf(ctx).mailReply = reply;
      ctx.emit('mail-status', { sender: txOf(ctx).tx.sender, reply });
    },
    transient: mailRefused,
    permanent: mailRefused,
  },
};

function rcptRefused(ctx: StateContext, reply: SmtpReply, i: number): void {
  const t = txOf(ctx);
  t.settle(i, reply, Stage.DURING_RCPT_TO, reply.isPermanent() ? undefined : 'transient');
  ctx.emit('rcpt-status', { address: t.tx.recipients[i]?.address, reply });
}

export const rcptState: SmtpState = {
  name: 'rcpt',
  phase: 'transaction',
  stage: Stage.DURING_RCPT_TO,
  afterStage: Stage.AFTER_RCPT_TO,
  timeout: 'rcptto',
  lost: { timeout: 'noRcptResponse' },
  pipelining: 'group',
  applies: (ctx) => !txOf(ctx).mailRefused,
  send: rcptCommands,
  on: {
    positive(ctx, reply, i) {
      const t = txOf(ctx);
      if (t.mailRefused) return; // pipelined after a refused MAIL: the 503s say nothing new
      if (reply.code >= 300) return rcptRefused(ctx, reply, i);
      t.accepted.push(i);
      ctx.emit('rcpt-status', { address: t.tx.recipients[i]?.address, reply });
    },
    transient: (ctx, reply, i) => {
      if (!txOf(ctx).mailRefused) rcptRefused(ctx, reply, i);
    },
    permanent: (ctx, reply, i) => {
      if (!txOf(ctx).mailRefused) rcptRefused(ctx, reply, i);
    },
  },
};

function dataRefused(ctx: StateContext, reply: SmtpReply): void {
  txOf(ctx).settleAll(reply, Stage.DURING_DATA, 'accepted', reply.isPermanent() ? undefined : 'transient');
}

export const dataState: SmtpState = {
  name: 'data',
  phase: 'transaction',
  stage: Stage.DURING_DATA,
  afterStage: Stage.AFTER_DATA,
  timeout: 'data',
  lost: { timeout: 'noDataResponse' },
  pipelining: 'last',
  goAhead: true,
  // RFC 2920 §3.1: without an accepted RCPT there is no DATA, unless it is already in the group.
  // With CHUNKING the body goes by BDAT instead (RFC 3030 §2).
  applies: (ctx) => !ctx.chunking && !txOf(ctx).mailRefused && (txOf(ctx).accepted.length > 0 || txOf(ctx).batching),
  send: () => ['DATA'],
  on: {
    positive(ctx, reply) {
      if (reply.code === 354) txOf(ctx).dataAccepted = true;
      else dataRefused(ctx, reply);
    },
    transient: dataRefused,
    permanent: dataRefused,
  },
};
