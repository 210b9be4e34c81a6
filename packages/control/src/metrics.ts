/**
 * Prometheus metrics (prom-client) from bus events and service stats. Labels are bounded:
 * binding (operator-defined, few) and stage; never the recipient domain, whose cardinality is
 * unbounded.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { registerPolicyMetrics } from './policy-metrics.js';
import { registerSuppressionMetrics } from './suppression-metrics.js';
import { registerIntegrationMetrics } from './integration-metrics.js';
import { registerClusterMetrics } from './cluster-metrics.js';
import {
  SMTP_CLIENT_EVENT_NAMES,
  type Bus,
  type OutboundStatsReply,
  type QueueCount,
  type ServiceStats,
} from '@petrel/core';

/** Where the gauges read from; a failing source fails the scrape (no gauge silently drops out). */
export interface MetricSources {
  queueCounts(): Promise<readonly QueueCount[]>;
  spoolStats(): Promise<ServiceStats>;
  listenerStats(): Promise<ServiceStats>;
  outboundStats(): Promise<OutboundStatsReply>;
}

export class Metrics {
  readonly registry = new Registry();

  constructor(bus: Bus, sources: MetricSources, undo: (() => void)[]) {
    const r = this.registry;
    collectDefaultMetrics({ register: r, prefix: 'petrel_process_', eventLoopMonitoringPrecision: 20 });
    const received = new Counter({
      name: 'petrel_received_messages_total',
      help: 'Messages accepted into the spool, by protocol (esmtp, smtp, http, internal = DSNs)',
      labelNames: ['protocol'],
      registers: [r],
    });
    const rejected = new Counter({
      name: 'petrel_rejections_total',
      help: 'Commands or messages refused by the listener',
      registers: [r],
    });
    const delivered = new Counter({
      name: 'petrel_deliveries_total',
      help: 'Recipients delivered',
      labelNames: ['binding'],
      registers: [r],
    });
    const transient = new Counter({
      name: 'petrel_transient_failures_total',
      help: 'Recipient attempts that failed transiently',
      labelNames: ['binding'],
      registers: [r],
    });
    const permanent = new Counter({
      name: 'petrel_permanent_failures_total',
      help: 'Recipients failed permanently by a remote 5xx or a route failure',
      labelNames: ['binding', 'code'],
      registers: [r],
    });
    const expired = new Counter({
      name: 'petrel_expirations_total',
      help: 'Recipients failed by expiry or exhausted retries',
      labelNames: ['binding'],
      registers: [r],
    });
    const latency = new Histogram({
      name: 'petrel_delivery_attempt_seconds',
      help: 'Duration of a delivery attempt (one transaction)',
      labelNames: ['binding'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [r],
    });
    // `event` is one of the five SMTP client event names (SMTP_CLIENT_EVENT_NAMES): a bounded label.
    const clientEvents = new Counter({
      name: 'petrel_smtp_client_events_total',
      help:
        'SMTP client session events (libESMTP names): connect, disconnect, syntax-warning, ' +
        'extension-not-available, message-sent',
      labelNames: ['event'],
      registers: [r],
    });
    // every series from the start, for rate()
    for (const event of SMTP_CLIENT_EVENT_NAMES) clientEvents.inc({ event }, 0);
    const queueTime = new Histogram({
      name: 'petrel_queue_time_seconds',
      help: 'Reception to successful delivery',
      labelNames: ['binding'],
      buckets: [0.05, 0.1, 0.5, 1, 5, 30, 60, 300, 1800, 3600, 14400, 86400, 432000],
      registers: [r],
    });
    // kind (suspend, throttle, max_connections) and change (set, cleared, expired, restored): bounded labels.
    const shapingChanges = new Counter({
      name: 'petrel_shaping_changes_total',
      help: 'Shaping state changes (docs/shaping.md), by kind and change',
      labelNames: ['kind', 'change'],
      registers: [r],
    });
    new Gauge({
      name: 'petrel_shaping_states',
      help: 'Shaping states in force (suspensions, throttles, connection limits), by kind',
      labelNames: ['kind'],
      registers: [r],
      async collect() {
        this.reset();
        const states = await bus.request('shaping.list', {}).catch(() => []);
        for (const kind of ['suspend', 'throttle', 'max_connections'] as const)
          this.set({ kind }, states.filter((s) => s.kind === kind).length);
      },
    });
    undo.push(
      bus.subscribe('message.spooled', (e) => {
        if (!e.recovered) received.inc({ protocol: e.envelope.protocol });
      }),
      bus.subscribe('message.rejected', () => rejected.inc()),
      bus.subscribe('delivery.attempted', (a) => {
        const binding = a.job.binding;
        latency.observe({ binding }, (a.finishedAt - a.startedAt) / 1000);
        for (const o of a.outcomes) {
          if (o.status === 'delivered') {
            delivered.inc({ binding });
            queueTime.observe({ binding }, (a.finishedAt - a.job.receivedAt) / 1000);
          } else if (o.status === 'transient') transient.inc({ binding });
          else permanent.inc({ binding, code: String(o.reply.code) });
        }
      }),
      bus.subscribe('outbound.session_event', (e) => clientEvents.inc({ event: e.event })),
      bus.subscribe('shaping.changed', (e) => shapingChanges.inc({ kind: e.state.kind, change: e.change })),
      bus.subscribe('delivery.failed', (f) => {
        if (f.reason === 'expiration') expired.inc({ binding: f.job.binding }, f.indexes.length);
        else permanent.inc({ binding: f.job.binding, code: String(f.reply.code) }, f.indexes.length);
      }),
    );
    const queueGauge = (name: string, help: string, pick: (c: QueueCount) => number): void => {
      new Gauge({
        name,
        help,
        labelNames: ['binding'],
        registers: [r],
        async collect() {
          this.reset();
          const byBinding = new Map<string, number>();
          for (const c of await sources.queueCounts())
            byBinding.set(c.binding, (byBinding.get(c.binding) ?? 0) + pick(c));
          for (const [binding, v] of byBinding) this.set({ binding }, v);
        },
      });
    };
    queueGauge('petrel_queue_active', 'Jobs in active queues', (c) => c.active);
    queueGauge('petrel_queue_delayed', 'Jobs in delayed queues (including suspended)', (c) => c.delayed);
    queueGauge('petrel_queue_in_flight', 'Jobs being delivered', (c) => c.inFlight);
    queueGauge('petrel_queue_suspended', 'Jobs held in suspended queues', (c) =>
      c.suspended ? c.active + c.delayed : 0,
    );
    const statGauge = (name: string, help: string, read: () => Promise<number | undefined>): void => {
      new Gauge({
        name,
        help,
        registers: [r],
        async collect() {
          const v = await read();
          if (v !== undefined) this.set(v);
        },
      });
    };
    const num = (s: ServiceStats, key: string): number | undefined => (typeof s[key] === 'number' ? s[key] : undefined);
    statGauge('petrel_connections_inbound', 'Open inbound SMTP connections', async () =>
      num(await sources.listenerStats(), 'connections'),
    );
    statGauge(
      'petrel_connections_outbound',
      'Open outbound SMTP connections',
      async () => (await sources.outboundStats()).connections,
    );
    statGauge('petrel_spool_messages', 'Messages in the spool', async () =>
      num(await sources.spoolStats(), 'messages'),
    );
    statGauge('petrel_spool_bytes', 'Bytes of message bodies in the spool', async () =>
      num(await sources.spoolStats(), 'bytes'),
    );
    registerPolicyMetrics(r, bus);
    registerSuppressionMetrics(r, bus, undo);
    registerIntegrationMetrics(r, bus);
    registerClusterMetrics(r, bus);
  }
}
