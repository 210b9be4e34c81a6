/**
 * One job, possibly several transactions on the same connection: at most max_recipients_per_batch
 * RCPTs per transaction, and recipients refused with 452 4.5.3 "too many recipients" go in the
 * next transaction (RFC 5321 §4.5.3.1.10: the client should send the rest later; it is not a
 * failure of those recipients). Between transactions RSET (RFC 5321 §4.1.1.5).
 */
import { Stage, type DeliveryJob } from '@petrel/core';
import { InternalReplies } from './outcomes.js';
import type { RecipientResult, SmtpSession, Transaction, TransactionResult } from '@petrel/smtp-client';

/** RFC 5321 §4.5.3.1.10 / RFC 3463 §3.6: 452 with 4.5.3, or the classic text without it. */
export function tooManyRecipients(r: RecipientResult): boolean {
  if (r.reply.code !== 452 || r.stage !== Stage.DURING_RCPT_TO) return false;
  return r.reply.enhanced === '4.5.3' || /too many recipients/i.test(r.reply.lines.join(' '));
}

/** Bounds the rounds: each one must settle at least one recipient, so this is never reached in practice. */
const MAX_ROUNDS = 1000;

export async function sendInBatches(
  session: SmtpSession,
  job: DeliveryJob,
  body: Buffer,
  batchSize: number,
  /** Parameters a policy hook adds to MAIL and to every RCPT. */
  extra?: {
    readonly mailParams?: readonly string[];
    readonly rcptParams?: readonly string[];
    /** VERP: the envelope sender per recipient; then each transaction has one recipient. */
    readonly returnPath?: (address: string) => string;
  },
): Promise<TransactionResult> {
  const returnPath = extra?.returnPath;
  if (returnPath) batchSize = 1;
  const rcptParams = extra?.rcptParams && extra.rcptParams.length > 0 ? extra.rcptParams : undefined;
  const base: Omit<Transaction, 'recipients'> = {
    ...(extra?.mailParams && extra.mailParams.length > 0 ? { mailParams: extra.mailParams } : {}),
    sender: job.sender,
    body,
    ...(job.bodyType ? { bodyType: job.bodyType } : {}),
    ...(job.smtputf8 ? { smtputf8: true } : {}),
    ...(job.ret ? { ret: job.ret } : {}),
    ...(job.envid !== undefined ? { envid: job.envid } : {}),
  };
  const all = job.recipients.map((r) => ({
    address: r.address,
    ...(r.notify ? { notify: r.notify } : {}),
    ...(r.orcpt ? { orcpt: r.orcpt } : {}),
    ...(rcptParams ? { params: rcptParams } : {}),
  }));
  const results: (RecipientResult | undefined)[] = all.map(() => undefined);
  let pending = all.map((_, i) => i);
  let usable = true;
  let first = true;
  for (let round = 0; round < MAX_ROUNDS && pending.length > 0; round++) {
    if (!first && !(await session.reset())) {
      usable = false;
      break;
    }
    first = false;
    const batch = pending.slice(0, Math.max(1, batchSize));
    const sender = returnPath ? returnPath(all[batch[0]!]!.address) : base.sender;
    const r = await session.send({ ...base, sender, recipients: batch.map((i) => all[i]!) });
    usable = r.sessionUsable;
    const deferred: number[] = [];
    const accepted = r.recipients.some((x) => x.status === 'delivered');
    r.recipients.forEach((x, k) => {
      const i = batch[k]!;
      // Only when the server took someone: else a 452 is its answer for now, not a batch limit.
      if (accepted && usable && tooManyRecipients(x)) deferred.push(i);
      else results[i] = x;
    });
    pending = [...deferred, ...pending.slice(batch.length)];
    if (!usable) break;
  }
  // Whoever is left was never tried because the session went away: transient, tried again later.
  return {
    recipients: results.map(
      (x, i) =>
        x ?? {
          address: all[i]!.address,
          status: 'transient',
          reply: InternalReplies.connectionClosed,
          stage: Stage.IDLE,
        },
    ),
    sessionUsable: usable,
  };
}
