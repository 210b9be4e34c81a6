/**
 * Momentum's `summary` counters, fed by bus events (reference §7): received, delivered, failed,
 * rejected, with rates since the last reset.
 */
import type { Bus, Clock, MessageRejected } from '@petrel/core';

export interface SummaryCounters {
  received: number;
  delivered: number;
  failed: number;
  transient: number;
  /** Messages the listener refused: a MAIL, RCPT, DATA/BDAT or body refusal (Momentum "Rejected Messages"). */
  rejected: number;
  /** Connections refused before any transaction (limits, early talkers); not messages. */
  rejectedConnections: number;
  expired: number;
}

const zero = (): SummaryCounters => ({
  received: 0,
  delivered: 0,
  failed: 0,
  transient: 0,
  rejected: 0,
  rejectedConnections: 0,
  expired: 0,
});

/** Listener phases in which a refusal turns a client away before it could offer a message. */
const CONNECTION_PHASES: ReadonlySet<string> = new Set(['just connected', 'sending banner', 'concurrency limit']);

/**
 * A rejection is a rejected message when it refuses a transaction: it names the sender or a
 * recipient (MAIL, RCPT, DATA and body refusals carry them). Refused connections and command
 * errors outside a transaction (a bad EHLO, AUTH, STARTTLS) are not messages.
 */
function rejectionKind(e: MessageRejected): 'message' | 'connection' | 'other' {
  if (CONNECTION_PHASES.has(e.phase)) return 'connection';
  return e.sender !== undefined || e.recipient !== undefined ? 'message' : 'other';
}

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
    if (!c) {
      c = zero();
      this.perBinding.set(binding, c);
    }
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
          if (o.status === 'delivered') {
            t.delivered++;
            b.delivered++;
          } else if (o.status === 'permanent') {
            t.failed++;
            b.failed++;
          } else {
            t.transient++;
            b.transient++;
          }
        }
      }),
      bus.subscribe('delivery.failed', (f) => {
        const b = this.of(f.job.binding);
        t.failed += f.indexes.length;
        b.failed += f.indexes.length;
        if (f.reason === 'expiration') {
          t.expired += f.indexes.length;
          b.expired += f.indexes.length;
        }
      }),
      bus.subscribe('message.rejected', (e) => {
        const kind = rejectionKind(e);
        if (kind === 'message') t.rejected++;
        else if (kind === 'connection') t.rejectedConnections++;
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
