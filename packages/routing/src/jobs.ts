/**
 * Splits a spooled message into delivery jobs: one per (message, binding, domain), each with at
 * most max_recipients_per_batch recipients (Momentum: 200 recipients at 100 → 2 transactions).
 * At recovery, recipients of one domain carry different retry states; only recipients with the
 * same (attempts, nextAttemptAt) share a job, so none is tried early or late.
 */
import type { DeliveryJob, JobRecipient, MessageEnvelope, RecipientState } from '@petrel/core';
import type { Assignment } from './assign/assigner.js';

export interface BuildJobsInput {
  readonly envelope: MessageEnvelope;
  /** Recipients still to deliver; undefined = all of them, never attempted. */
  readonly pending?: readonly RecipientState[];
  /** The binding for the mail of one recipient domain. */
  readonly assign: (domain: string) => Assignment;
  /** max_recipients_per_batch for (binding, domain). */
  readonly batchSize: (binding: string, domain: string) => number;
  /** Header fields outbound removes before delivery (e.g. X-Binding); none when empty. */
  readonly stripHeaders?: readonly string[];
}

export interface BuildJobsResult {
  readonly jobs: DeliveryJob[];
  /** Pending states whose index is not a recipient of the envelope (skipped). */
  readonly invalidIndexes: number[];
}

/**
 * The delivery jobs of one message: by domain, by identical retry state, in batches; ids
 * `${messageId}/${binding}/${domain}/${n}`.
 */
export function buildJobs(input: BuildJobsInput): BuildJobsResult {
  const { envelope } = input;
  const pending =
    input.pending ?? envelope.recipients.map((_, index): RecipientState => ({ index, attempts: 0, nextAttemptAt: 0 }));
  const invalidIndexes: number[] = [];
  // domain → retry-state key → states, both in first-seen order (Map keeps insertion order).
  const byDomain = new Map<string, Map<string, RecipientState[]>>();
  const seen = new Set<number>();
  for (const state of pending) {
    const rcpt = envelope.recipients[state.index];
    if (!rcpt || seen.has(state.index)) {
      if (!rcpt) invalidIndexes.push(state.index);
      continue;
    }
    seen.add(state.index);
    const domain = rcpt.domain.toLowerCase();
    let groups = byDomain.get(domain);
    if (!groups) {
      groups = new Map();
      byDomain.set(domain, groups);
    }
    const key = `${state.attempts}/${state.nextAttemptAt}`;
    const list = groups.get(key);
    if (list) list.push(state);
    else groups.set(key, [state]);
  }

  const jobs: DeliveryJob[] = [];
  for (const [domain, groups] of byDomain) {
    const { binding, group } = input.assign(domain);
    const batch = Math.max(1, Math.floor(input.batchSize(binding, domain)));
    let n = 0;
    for (const states of groups.values()) {
      for (let start = 0; start < states.length; start += batch) {
        const slice = states.slice(start, start + batch);
        const first = slice[0]!;
        const lastReply = slice.find((s) => s.lastReply !== undefined)?.lastReply;
        jobs.push({
          id: `${envelope.id}/${binding}/${domain}/${n++}`,
          messageId: envelope.id,
          sender: envelope.sender,
          binding,
          bindingGroup: group,
          domain,
          recipients: slice.map((s) => jobRecipient(envelope, s.index)),
          size: envelope.size,
          receivedAt: envelope.receivedAt,
          ...(envelope.bodyType !== undefined ? { bodyType: envelope.bodyType } : {}),
          ...(envelope.smtputf8 !== undefined ? { smtputf8: envelope.smtputf8 } : {}),
          ...(envelope.ret !== undefined ? { ret: envelope.ret } : {}),
          ...(envelope.envid !== undefined ? { envid: envelope.envid } : {}),
          attempts: first.attempts,
          nextAttemptAt: first.nextAttemptAt,
          ...(lastReply !== undefined ? { lastReply } : {}),
          ...(input.stripHeaders && input.stripHeaders.length > 0 ? { stripHeaders: input.stripHeaders } : {}),
          // Kept so that a rebind can re-run client_network / auth_user rules.
          ...(envelope.client !== undefined ? { client: envelope.client } : {}),
        });
      }
    }
  }
  return { jobs, invalidIndexes };
}

function jobRecipient(envelope: MessageEnvelope, index: number): JobRecipient {
  const r = envelope.recipients[index]!;
  return {
    index,
    address: r.address,
    domain: r.domain.toLowerCase(),
    ...(r.notify !== undefined ? { notify: r.notify } : {}),
    ...(r.orcpt !== undefined ? { orcpt: r.orcpt } : {}),
  };
}
