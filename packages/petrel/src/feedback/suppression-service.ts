/**
 * The suppression list as a service (docs/feedback-loop.md): answers `suppression.*` requests for
 * the listener, the inbound report service, HTTP injection and the control API, and feeds the list
 * from permanent delivery failures of a hard class. The entries live in a SuppressionStore (the
 * spool database by default); this service holds no copy, so a shared store stays the truth.
 */
import {
  PetrelError,
  type DeliveryAttempt,
  type Requests,
  type Service,
  type ServiceContext,
  type SuppressionEntry,
  type SuppressionReason,
  type SuppressionStore,
} from '@petrel/core';

/** Momentum's hard classes that suppress: 10 Invalid Recipient, 30 Generic Bounce: No RCPT, 90 Unsubscribe. */
export const HARD_CLASSES: ReadonlySet<number> = new Set([10, 30, 90]);

export const SUPPRESSION_REASONS: readonly SuppressionReason[] = ['hard_bounce', 'out_of_band', 'complaint', 'manual'];

type AddPayload = Requests['suppression.add']['payload'];

/** Normalises one entry to add: lower-cased address with an "@", "global" scope by default. */
export function normalizeEntry(e: AddPayload['entries'][number], now: number): SuppressionEntry {
  const address = e.address.trim().toLowerCase();
  const at = address.lastIndexOf('@');
  if (at < 0 || at === address.length - 1 || /[\s<>,"]/.test(address))
    throw new PetrelError('PETREL_ERR_SUPPRESSION_INPUT', `not an address or @domain: "${e.address}"`, {
      address: e.address,
    });
  if (!SUPPRESSION_REASONS.includes(e.reason))
    throw new PetrelError(
      'PETREL_ERR_SUPPRESSION_INPUT',
      `unknown reason "${e.reason}" (${SUPPRESSION_REASONS.join(', ')})`,
      {
        reason: e.reason,
      },
    );
  const scope = (e.scope ?? 'global').trim() || 'global';
  if (!/^[A-Za-z0-9_.:-]+$/.test(scope))
    throw new PetrelError('PETREL_ERR_SUPPRESSION_INPUT', `bad scope "${scope}" (global or a binding group name)`, {
      scope,
    });
  return {
    address,
    scope,
    reason: e.reason,
    ...(e.bounceClass !== undefined ? { bounceClass: e.bounceClass } : {}),
    source: e.source || 'manual',
    createdAt: e.createdAt ?? now,
  };
}

export interface SuppressionServiceOptions {
  /** Opens the store at start (after the spool holds its lock). */
  readonly open: () => SuppressionStore & { close?(): void };
  /** The daemon's classifier, for the class of a permanent failure. */
  readonly classify: (
    reply: DeliveryAttempt['outcomes'][number]['reply'],
    domain: string,
    stage?: number,
  ) => { readonly code: number };
}

export class SuppressionService implements Service {
  readonly name = 'suppression';
  private store: (SuppressionStore & { close?(): void }) | undefined;
  private readonly undo: (() => void)[] = [];
  /** Hard failures waiting for the next write (one transaction, one fsync, per event-loop turn). */
  private pending: SuppressionEntry[] = [];
  private flushing: Promise<void> | undefined;
  private checks = 0;
  private hits = 0;
  private added = 0;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly opts: SuppressionServiceOptions,
  ) {}

  private get db(): SuppressionStore {
    if (!this.store) throw new PetrelError('PETREL_ERR_SERVICE_STATE', 'the suppression list is not open', {});
    return this.store;
  }

  async start(): Promise<void> {
    this.store = this.opts.open();
    const bus = this.ctx.bus;
    this.undo.push(
      bus.handle('suppression.check', async ({ address, bindingGroup }) => {
        this.checks++;
        const scopes = bindingGroup ? ['global', bindingGroup] : ['global'];
        const e = await this.db.find(address.toLowerCase(), scopes);
        if (e) this.hits++;
        return e ?? null;
      }),
      bus.handle('suppression.add', async ({ entries }) => {
        const now = this.ctx.clock.now();
        const list = entries.map((e) => normalizeEntry(e, now));
        const added = await this.db.add(list);
        this.added += added;
        return { added };
      }),
      bus.handle('suppression.remove', async ({ address, scope }) => ({
        removed: await this.db.remove(address.trim().toLowerCase(), scope),
      })),
      bus.handle('suppression.list', (filter) =>
        this.db.list({ ...filter, ...(filter.address ? { address: filter.address.toLowerCase() } : {}) }),
      ),
      bus.handle('suppression.stats', async () => {
        const counts = await this.db.counts();
        const total = Object.values(counts).reduce((a, b) => a + b, 0);
        return { ...counts, total, checks: this.checks, hits: this.hits, added: this.added };
      }),
      bus.subscribe('delivery.attempted', (a) => this.onAttempt(a)),
    );
  }

  /**
   * Permanent failures of a hard class join the list (suppress_hard_failures). In a bounce storm
   * every attempt has some: they are written together once per event-loop turn, not one
   * synchronous commit (and fsync) each on the main thread.
   */
  private onAttempt(a: DeliveryAttempt): void {
    if (!this.ctx.config.bounce.suppress_hard_failures) return;
    const entries: SuppressionEntry[] = [];
    const now = this.ctx.clock.now();
    for (const o of a.outcomes) {
      if (o.status !== 'permanent') continue;
      const c = this.opts.classify(o.reply, a.job.domain, o.stage);
      if (!HARD_CLASSES.has(c.code)) continue;
      entries.push({
        address: o.address.toLowerCase(),
        scope: 'global',
        reason: 'hard_bounce',
        bounceClass: c.code,
        source: a.job.messageId,
        createdAt: now,
      });
    }
    if (entries.length === 0) return;
    this.pending.push(...entries);
    this.flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flush());
  }

  private async flush(): Promise<void> {
    const entries = this.pending;
    this.pending = [];
    this.flushing = undefined;
    if (entries.length === 0 || !this.store) return;
    try {
      this.added += await this.store.add(entries);
    } catch (err) {
      // The failure is still in the event log; only its suppression entry is missing.
      this.ctx.logger.warn({ err, entries: entries.length }, 'could not add hard failures to the suppression list');
    }
  }

  async stop(): Promise<void> {
    for (const u of this.undo.splice(0)) u();
    await this.flushing;
    this.store?.close?.();
    this.store = undefined;
  }
}
