/**
 * Outcome mapping: how a transaction result, a route failure or a connection failure becomes one
 * RecipientOutcome per job recipient, keyed by the recipient's envelope index (the spool's key).
 */
import { SmtpReply, Stage, type DeliveryJob, type OutcomeStatus, type RecipientOutcome, type ReplyData } from '@petrel/core';
import type { TransactionResult } from '@petrel/smtp-client';

/** Momentum's internal reply strings (reference §6), byte for byte. */
export const InternalReplies = {
  /** Every MX failed at connect, banner or EHLO. */
  noMxReachable: new SmtpReply(421, '[internal] no MXs for this domain could be reached at this time', '4.4.0'),
  /** The peer dropped the connection in the middle of a transaction. */
  connectionClosed: new SmtpReply(451, '[internal] connection closed by remote host', '4.4.2'),
  /** The route could not be resolved at all (routing service failed); Petrel-specific text. */
  routingUnavailable: new SmtpReply(451, '[internal] routing unavailable', '4.3.0'),
  /** The spool could not hand back the body; Petrel-specific text. */
  bodyUnavailable: new SmtpReply(451, '[internal] message body unavailable', '4.3.0'),
  /** A policy beforeDelivery hook failed (threw, timed out, returned something invalid); Petrel-specific text. */
  policyFailed: new SmtpReply(451, '[internal] policy hook failed', '4.3.0'),
} as const;

/** The same status and reply for every recipient of a job: route failure, no host reachable, spool error. */
export function uniformOutcomes(job: DeliveryJob, status: OutcomeStatus, reply: ReplyData, stage: number = Stage.NOT_CONNECTED): RecipientOutcome[] {
  return job.recipients.map((r) => ({ index: r.index, address: r.address, status, reply, stage }));
}

/**
 * Maps the client's per-recipient results (one per transaction recipient, same order) back to the
 * job's recipients. A missing result (a client that broke its contract) counts as a transient
 * "connection closed", so a recipient is never reported delivered without a 250.
 */
export function transactionOutcomes(job: DeliveryJob, result: TransactionResult): RecipientOutcome[] {
  return job.recipients.map((r, i) => {
    const res = result.recipients[i];
    if (!res) return { index: r.index, address: r.address, status: 'transient', reply: InternalReplies.connectionClosed, stage: Stage.UNKNOWN };
    return { index: r.index, address: r.address, status: res.status, reply: res.reply, stage: res.stage };
  });
}

/** True when at least one recipient was accepted: Momentum counts that as a successful delivery. */
export function anyDelivered(outcomes: readonly RecipientOutcome[]): boolean {
  return outcomes.some((o) => o.status === 'delivered');
}
