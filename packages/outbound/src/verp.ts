/**
 * Feedback loop on the sending side: VERP return paths and the suppression check at delivery.
 *
 * The VERP envelope sender of a job's recipients (docs/feedback-loop.md), when the delivery scope
 * sets `verp_domain`: one recipient per transaction, each with its own return path, so a bounce
 * names its message and recipient. Mail from <> (DSNs) is never rewritten (RFC 5321 §4.5.5), and a
 * sender already at a return-path domain keeps its own address.
 */

import { verpAddress, type Bus, type DeliveryJob, type PetrelConfig } from '@petrel/core';

export function verpSender(
  config: PetrelConfig,
  domain: string,
  job: DeliveryJob,
): ((address: string) => string) | undefined {
  if (domain === '' || job.sender === '') return undefined;
  const rp = config.bounce.return_path_domains.map((d) => d.toLowerCase());
  if (rp.includes(job.sender.slice(job.sender.lastIndexOf('@') + 1).toLowerCase())) return undefined;
  const opts = { prefix: config.bounce.verp_prefix, secret: config.bounce.verp_secret };
  return (address) => verpAddress(opts, job.messageId, address, domain);
}

/**
 * Indexes of the job's recipients on the suppression list (global, or the job's binding group),
 * asked at delivery time; none when the daemon has no suppression list. A failing lookup holds
 * nothing back: the list is a courtesy to the receivers, not a delivery precondition. An entry
 * this very message caused (its own hard failure, whose outcome a crash lost before it was
 * recorded) does not hold it: the retry gets the receiver's real reply again, and the DSN says so.
 */
export async function suppressedRecipients(bus: Bus, job: DeliveryJob): Promise<number[]> {
  if (!bus.hasHandler('suppression.check')) return [];
  const out: number[] = [];
  for (const r of job.recipients) {
    const hit = await bus
      .request('suppression.check', { address: r.address, bindingGroup: job.bindingGroup })
      .catch(() => null);
    if (hit && hit.source !== job.messageId) out.push(r.index);
  }
  return out;
}
