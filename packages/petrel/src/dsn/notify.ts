/**
 * Who gets reported in a DSN: RFC 3461 NOTIFY per recipient, the null-sender rule and
 * generate_bounces. Pure functions, so the rules are tested without a daemon.
 */
import type { DeliveryJob, JobRecipient } from '@petrel/core';

export type NoticeKind = 'failure' | 'delay' | 'success';

/** RFC 3461 §4.1: should this recipient's failure (or delay) be reported? */
export function wantsNotice(r: Pick<JobRecipient, 'notify'>, kind: NoticeKind): boolean {
  const n = r.notify?.map((x) => x.toUpperCase());
  // Success is reported only on request (RFC 3461 §4.1: absent NOTIFY means FAILURE[,DELAY]).
  if (kind === 'success') return n?.includes('SUCCESS') === true;
  if (n === undefined || n.length === 0) {
    // No NOTIFY: the MTA's choice; FAILURE always, DELAY only when the operator turned it on.
    return true;
  }
  if (n.includes('NEVER')) return false;
  return n.includes(kind === 'failure' ? 'FAILURE' : 'DELAY');
}

/**
 * The indexes of `job` a DSN should cover. Never any for the null sender: a DSN is itself sent
 * from <>, and RFC 5321 §4.5.5 / RFC 3461 §6.2 forbid answering it (no bounce loops).
 */
export function dsnIndexes(
  job: DeliveryJob,
  indexes: readonly number[],
  kind: NoticeKind,
  generateBounces: boolean,
): number[] {
  if (job.sender === '' || !generateBounces) return [];
  const byIndex = new Map(job.recipients.map((r) => [r.index, r]));
  return indexes.filter((i) => {
    const r = byIndex.get(i);
    return r !== undefined && wantsNotice(r, kind);
  });
}
