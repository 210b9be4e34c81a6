/**
 * The suppression list shared by every node (docs/scaling.md): a ReplicatedTable keyed by
 * `scope|address`, the node's own store (the spool database) being its local copy, so the RCPT
 * lookup stays a local query and never waits on Redis. `share()` wraps that store: what this node
 * adds or removes (`petrel suppression`, a hard bounce, a feedback report) is told to the others;
 * theirs is written to it within milliseconds, and a re-read reconciles both ways.
 *
 * A removal is kept in the table as a tombstone (the address, its scope and when it was removed)
 * for TOMBSTONE_MS, not deleted: a node that was down when an entry was lifted drops its own copy
 * at its first read instead of giving it back (an entry older than the tombstone goes), and an entry
 * a node holds that the table has never seen (added while Redis was down, or before the node joined
 * the cluster) is written to the table rather than lost: a list that protects recipients and the
 * sender's reputation errs on the side of keeping entries.
 */
import type { Logger, SuppressionEntry, SuppressionStore } from '@petrel/core';
import type { ReplicatedTable } from './replicated-table.js';
import { TableSync, type TableSyncEnv } from './table-sync.js';

/** How long a removal is remembered (a node down longer than this may give a lifted entry back). */
export const TOMBSTONE_MS = 30 * 86_400_000;

/** A removed entry, as the table keeps it. */
export interface SuppressionTombstone {
  readonly address: string;
  readonly scope: string;
  readonly removedAt: number;
}

export type SharedSuppression = SuppressionEntry | SuppressionTombstone;

export function isTombstone(v: SharedSuppression): v is SuppressionTombstone {
  return 'removedAt' in v;
}

/** The table id: scope first (a scope never contains `|`; an address might). */
export function suppressionId(address: string, scope: string): string {
  return `${scope}|${address}`;
}

export type SuppressionSyncEnv = TableSyncEnv;

type LocalStore = SuppressionStore & { close?(): void };

/** Changes from other nodes waiting for the next write to the local store (one transaction per turn). */
type Pending = { readonly add: SuppressionEntry } | { readonly remove: SuppressionTombstone };

export class SuppressionSync extends TableSync<SharedSuppression> {
  constructor(private readonly env: SuppressionSyncEnv) {
    super({
      ...env,
      hash: env.keys.suppressions,
      what: 'suppressions',
      live: (v, now) => !isTombstone(v) || now - v.removedAt < TOMBSTONE_MS,
    });
  }

  /** Entries and tombstones in the shared table (status). */
  async size(): Promise<number> {
    return Number(await this.env.link.call<number>(['HLEN', this.env.keys.suppressions]));
  }

  /** The node's store, shared: lookups stay local; changes are told to the other nodes. */
  share(local: LocalStore): LocalStore & { close(): void } {
    const mirror = new LocalMirror(local, this.table, this.env.logger);
    const detach = this.table.attach(mirror);
    const table = this.table;
    const clock = this.env.clock;
    return {
      async add(entries) {
        const n = await local.add(entries);
        for (const e of entries) table.put(suppressionId(e.address, e.scope), e);
        return n;
      },
      async remove(address, scope) {
        const gone = await local.list({ address, ...(scope !== undefined ? { scope } : {}) });
        const n = await local.remove(address, scope);
        const scopes = new Set(gone.map((e) => e.scope));
        // Removing what this node does not hold yet may still lift another node's entry.
        if (scope !== undefined) scopes.add(scope);
        if (scopes.size === 0) scopes.add('global');
        const removedAt = clock.now();
        for (const sc of scopes) table.put(suppressionId(address, sc), { address, scope: sc, removedAt });
        return n;
      },
      find: (address, scopes) => local.find(address, scopes),
      list: (filter) => local.list(filter),
      counts: () => local.counts(),
      close() {
        detach();
        mirror.close();
        local.close?.();
      },
    };
  }
}

/** Applies the other nodes' changes to the local store, batched per event-loop turn. */
class LocalMirror {
  private pending: Pending[] = [];
  private writing: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly local: LocalStore,
    private readonly table: ReplicatedTable<SharedSuppression>,
    private readonly logger: Logger,
  ) {}

  close(): void {
    this.closed = true;
  }

  put(_id: string, v: SharedSuppression): void {
    this.queue(isTombstone(v) ? { remove: v } : { add: v });
  }

  /** Only ended tombstones leave the hash, and without a notice: nothing to do. */
  remove(): void {}

  async current(): Promise<[string, SharedSuppression][]> {
    await this.writing;
    return (await this.local.list({})).map((e) => [suppressionId(e.address, e.scope), e]);
  }

  /** The whole table: take what is missing or different, drop what was removed, give back what it lacks. */
  async reconcile(all: ReadonlyMap<string, SharedSuppression>): Promise<void> {
    await this.writing;
    if (this.closed) return;
    const mine = new Map((await this.local.list({})).map((e) => [suppressionId(e.address, e.scope), e]));
    const adds: SuppressionEntry[] = [];
    let removed = 0;
    for (const [id, v] of all) {
      const own = mine.get(id);
      if (isTombstone(v)) {
        if (own === undefined) continue;
        if (own.createdAt <= v.removedAt) removed += await this.local.remove(own.address, own.scope);
        else this.table.put(id, own);
      } else if (own === undefined || JSON.stringify(own) !== JSON.stringify(normal(v))) adds.push(v);
    }
    let given = 0;
    for (const [id, own] of mine)
      if (!all.has(id)) {
        this.table.put(id, own);
        given++;
      }
    if (adds.length > 0) await this.local.add(adds);
    if (adds.length + removed + given > 0)
      this.logger.info({ added: adds.length, removed, given }, 'cluster: suppression list reconciled');
  }

  private queue(p: Pending): void {
    this.pending.push(p);
    this.writing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.write());
  }

  private async write(): Promise<void> {
    const ops = this.pending;
    this.pending = [];
    this.writing = undefined;
    if (this.closed) return;
    let adds: SuppressionEntry[] = [];
    try {
      for (const op of ops) {
        if ('add' in op) {
          adds.push(op.add);
          continue;
        }
        if (adds.length > 0) await this.local.add(adds);
        adds = [];
        const t = op.remove;
        // An entry added here after the removal (its notice crossed this one) stays.
        const own = await this.local.list({ address: t.address, scope: t.scope });
        if (own.every((e) => e.createdAt <= t.removedAt)) await this.local.remove(t.address, t.scope);
      }
      if (adds.length > 0) await this.local.add(adds);
    } catch (err) {
      // The next re-read of the table brings what was not written.
      this.logger.warn({ err, changes: ops.length }, 'cluster: could not apply shared suppression changes locally');
    }
  }
}

/** An entry with its fields in the store's order, so two copies compare equal as JSON. */
function normal(e: SuppressionEntry): SuppressionEntry {
  return {
    address: e.address,
    scope: e.scope,
    reason: e.reason,
    ...(e.bounceClass !== undefined ? { bounceClass: e.bounceClass } : {}),
    source: e.source,
    createdAt: e.createdAt,
  };
}
