/**
 * Outcome mapping: how a transaction result, a route failure or a connection failure becomes one
 * RecipientOutcome per job recipient, keyed by the recipient's envelope index (the spool's key).
 */
import {
  SmtpReply,
  Stage,
  type DeliveryJob,
  type OutcomeStatus,
  type RecipientOutcome,
  type ReplyData,
} from '@petrel/core';
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
  /** Momentum's policy discard wording, so the shipped rules class it 25 Admin Failure (docs/feedback-loop.md). */
  suppressed: new SmtpReply(550, '[internal] discarded by policy: recipient suppressed', '5.7.1'),
} as const;

/** The same status and reply for every recipient of a job: route failure, no host reachable, spool error. */
export function uniformOutcomes(
  job: DeliveryJob,
  status: OutcomeStatus,
  reply: ReplyData,
  stage: number = Stage.NOT_CONNECTED,
): RecipientOutcome[] {
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
    if (!res)
      return {
        index: r.index,
        address: r.address,
        status: 'transient',
        reply: InternalReplies.connectionClosed,
        stage: Stage.UNKNOWN,
      };
    return { index: r.index, address: r.address, status: res.status, reply: res.reply, stage: res.stage };
  });
}

/** True when at least one recipient was accepted: Momentum counts that as a successful delivery. */
export function anyDelivered(outcomes: readonly RecipientOutcome[]): boolean {
  return outcomes.some((o) => o.status === 'delivered');
}

/** Lines and octets of a host's reply kept for logs and DSNs: a garbage or endless reply is cut. */
const MAX_HOST_LINES = 4;
const MAX_HOST_LINE = 200;

/**
 * True when the reply holds words of the remote host (its own reply, or an "[internal] malformed
 * reply" that quotes what it sent), not only a reply Petrel made up (refused connect, timeout).
 */
export function sentByHost(reply: ReplyData): boolean {
  return reply.lines.some((l) => !l.startsWith('[internal]'));
}

/** The reply cut to a few short lines, so an endless or garbage reply stays a readable record. */
export function boundedReply(reply: ReplyData): ReplyData {
  if (reply.lines.length <= MAX_HOST_LINES && reply.lines.every((l) => l.length <= MAX_HOST_LINE)) return reply;
  const lines = reply.lines
    .slice(0, MAX_HOST_LINES)
    .map((l) => (l.length > MAX_HOST_LINE ? `${l.slice(0, MAX_HOST_LINE)}…` : l));
  if (reply.lines.length > MAX_HOST_LINES) lines.push(`[… ${reply.lines.length - MAX_HOST_LINES} more lines]`);
  return new SmtpReply(reply.code, lines, reply.enhanced);
}

/** Momentum's no-MX reply, with what the last host that answered said (a 5xx greeting, say). */
export function noMxReachableAfter(host: string, ip: string, said: ReplyData): ReplyData {
  const r = boundedReply(said);
  return new SmtpReply(
    InternalReplies.noMxReachable.code,
    [
      ...InternalReplies.noMxReachable.lines,
      `(last reply from ${host} [${ip}]: ${r.code}${r.enhanced ? ` ${r.enhanced}` : ''} ${r.lines.join(' ')})`,
    ],
    InternalReplies.noMxReachable.enhanced,
  );
}

/** Node TLS error codes (OpenSSL verify results) → the words an operator searches for. */
const TLS_CAUSES: Readonly<Record<string, string>> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'certificate not trusted',
  SELF_SIGNED_CERT_IN_CHAIN: 'certificate not trusted',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'certificate not trusted',
  UNABLE_TO_GET_ISSUER_CERT: 'certificate not trusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'certificate not trusted',
  CERT_UNTRUSTED: 'certificate not trusted',
  CERT_REVOKED: 'certificate revoked',
  CERT_HAS_EXPIRED: 'certificate expired',
  CERT_NOT_YET_VALID: 'certificate not yet valid',
  ERR_TLS_CERT_ALTNAME_INVALID: 'certificate name mismatch',
  HOSTNAME_MISMATCH: 'certificate name mismatch',
};

/** Why a TLS handshake failed, in words, from the error the client kept as its cause; undefined if unknown. */
export function tlsCause(cause: unknown): string | undefined {
  if (!(cause instanceof Error)) return undefined;
  const code = (cause as { code?: unknown }).code;
  const what = typeof code === 'string' ? (TLS_CAUSES[code] ?? code) : undefined;
  const msg = cause.message.replace(/\s+/g, ' ').slice(0, MAX_HOST_LINE);
  return what !== undefined ? `${what}: ${msg}` : msg || undefined;
}

/**
 * The reply with the cause added to its text: "451 4.7.5 [internal] TLS negotiation failed (certificate not trusted:
 * …)".
 */
export function withCause(reply: ReplyData, cause: string | undefined): ReplyData {
  if (cause === undefined) return reply;
  const lines = [...reply.lines];
  lines[lines.length - 1] = `${lines[lines.length - 1] ?? ''} (${cause})`;
  return new SmtpReply(reply.code, lines, reply.enhanced);
}
