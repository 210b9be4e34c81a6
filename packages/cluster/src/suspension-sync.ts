/**
 * Operator suspensions shared by every node: a ReplicatedTable keyed by selector
 * (`binding|domain`, `*` for an absent part), so a suspension set on one node is in force on all
 * within milliseconds (pub/sub), re-read in full every reconcile_interval, written when Redis is
 * back if it was set during an outage, and written back if Redis lost its data. Timed suspensions
 * carry their end time: every node ends them on its own timer, and a re-read drops what has ended.
 */
import type { QueueSelector, Suspension, SuspensionApply, SuspensionShare } from '@petrel/core';
import { TableSync, type TableSyncEnv } from './table-sync.js';

/** The table id of a selector: binding and domain, `*` when absent. */
export function selectorField(binding: string | undefined, domain: string | undefined): string {
  return `${binding ?? '*'}|${domain?.toLowerCase() ?? '*'}`;
}

/** The selector of a table id (a domain never contains `|`, so the last one splits). */
export function selectorOf(id: string): QueueSelector {
  const at = id.lastIndexOf('|');
  const binding = id.slice(0, at);
  const domain = id.slice(at + 1);
  return { ...(binding !== '*' ? { binding } : {}), ...(domain !== '*' ? { domain } : {}) };
}

export type SuspensionSyncEnv = TableSyncEnv;

export class SuspensionSync extends TableSync<Suspension> implements SuspensionShare {
  constructor(env: SuspensionSyncEnv) {
    super({
      ...env,
      hash: env.keys.suspensions,
      what: 'suspensions',
      live: (s, now) => s.until === undefined || s.until > now,
    });
  }

  attach(apply: SuspensionApply): () => void {
    return this.table.attach({
      put: (_id, s) => apply.suspend(s),
      remove: (id) => apply.resume(selectorOf(id)),
      reconcile: (all) => apply.reconcile([...all.values()]),
      current: () => apply.current().map((s) => [selectorField(s.binding, s.domain), s] as const),
    });
  }

  suspended(s: Suspension): void {
    this.table.put(selectorField(s.binding, s.domain), s);
  }

  resumed(sel: QueueSelector): void {
    this.table.remove(selectorField(sel.binding, sel.domain));
  }

  /** Every shared suspension still in force (status). */
  async list(): Promise<Suspension[]> {
    return [...(await this.table.list()).values()];
  }
}
