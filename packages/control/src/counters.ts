/**
 * Momentum's `summary` counters, fed by bus events (reference §7): received, delivered, failed,
 * rejected, with rates since the last reset.
 */
import type { Bus, Clock } from '@petrel/core';

export interface SummaryCounters {
  received: number;
  delivered: number;
  failed: number;
  transient: number;
  rejected: number;
  expired: number;
}

const zero = (): SummaryCounters => ({ received: 0, delivered: 0, failed: 0, transient: 0, rejected: 0, expired: 0 });

export class Counters {
  readonly totals: SummaryCounters = zero();
  /** The same counters per binding (`binding summary`); received counts routed recipients. */
  private readonly perBinding = new Map<string, SummaryCounters>();
  private resetAt: number;
  readonly startedAt: number;

  constructor(private readonly clock: Clock) {
    this.startedAt = clock.now();
    this.resetAt = this.startedAt;
  }

  /** Counters of one binding (zeros when it has seen nothing). */
  binding(name: string): SummaryCounters {
    return this.perBinding.get(name) ?? zero();
  }

  private of(binding: string): SummaryCounters {
    let c = this.perBinding.get(binding);
    if (!c) this.perBinding.set(binding, (c = zero()));
    return c;
  }

  subscribe(bus: Bus): (() => void)[] {
    const t = this.totals;
    return [
      bus.subscribe('message.routed', (e) => {
        if (e.recovered) return;
        for (const j of e.jobs) this.of(j.binding).received += j.recipients.length;
      }),
      bus.subscribe('message.spooled', (e) => {
        if (!e.recovered) t.received++;
      }),
      bus.subscribe('delivery.attempted', (a) => {
        const b = this.of(a.job.binding);
        for (const o of a.outcomes) {
          if (o.status === 'delivered') t.delivered++, b.delivered++;
          else if (o.status === 'permanent') t.failed++, b.failed++;
          else t.transient++, b.transient++;
        }
      }),
      bus.subscribe('delivery.failed', (f) => {
        const b = this.of(f.job.binding);
        t.failed += f.indexes.length;
        b.failed += f.indexes.length;
        if (f.reason === 'expiration') (t.expired += f.indexes.length), (b.expired += f.indexes.length);
      }),
      bus.subscribe('message.rejected', () => {
        t.rejected++;
      }),
    ];
  }

  reset(): void {
    for (const k of Object.keys(this.totals) as (keyof SummaryCounters)[]) this.totals[k] = 0;
    this.perBinding.clear();
    this.resetAt = this.clock.now();
  }

  /** Seconds since the last reset (at least 1, so rates are defined). */
  sinceReset(): number {
    return Math.max(1, (this.clock.now() - this.resetAt) / 1000);
  }

  uptime(): number {
    return (this.clock.now() - this.startedAt) / 1000;
  }
}
