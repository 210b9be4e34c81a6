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

export class Counters {
  readonly totals: SummaryCounters = { received: 0, delivered: 0, failed: 0, transient: 0, rejected: 0, expired: 0 };
  private resetAt: number;
  readonly startedAt: number;

  constructor(private readonly clock: Clock) {
    this.startedAt = clock.now();
    this.resetAt = this.startedAt;
  }

  subscribe(bus: Bus): (() => void)[] {
    const t = this.totals;
    return [
      bus.subscribe('message.spooled', (e) => {
        if (!e.recovered) t.received++;
      }),
      bus.subscribe('delivery.attempted', (a) => {
        for (const o of a.outcomes) {
          if (o.status === 'delivered') t.delivered++;
          else if (o.status === 'permanent') t.failed++;
          else t.transient++;
        }
      }),
      bus.subscribe('delivery.failed', (f) => {
        t.failed += f.indexes.length;
        if (f.reason === 'expiration') t.expired += f.indexes.length;
      }),
      bus.subscribe('message.rejected', () => {
        t.rejected++;
      }),
    ];
  }

  reset(): void {
    for (const k of Object.keys(this.totals) as (keyof SummaryCounters)[]) this.totals[k] = 0;
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
