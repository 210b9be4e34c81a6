/**
 * The outbound service: turns `queue.demand` into connections, one pool per (binding, domain),
 * under a service-wide cap, and stops gracefully (in-flight transactions finish within a deadline;
 * every job taken and not sent is released back to the queue).
 */
import {
  ThrottleRegistry,
  type Logger,
  type OutboundClusterPorts,
  type QueueDemand,
  type Service,
  type ServiceContext,
  type TimerHandle,
} from '@petrel/core';
import type { ConnectDeps } from './connect.js';
import { DeliveryConnection, type ConnectionEnd, type ConnectionInfo, type IdleWake } from './connection.js';
import { HOST_FAILURE_RETRY_MS, HostFailures } from './host-failures.js';
import { JobLedger } from './job-ledger.js';
import { Pool, type PoolHost } from './pool.js';
import { MtaStsCa } from './tls-plan.js';
import { TraceFiles } from './trace.js';
import type { OutboundPolicySource } from './policy-hooks.js';
import { ConnectionLimits } from './connection-limits.js';

/** Momentum's server_max_outbound_connections as shipped (reference §3). */
export const DEFAULT_MAX_CONNECTIONS = 20_000;
/** How long stop() lets transactions in flight finish before it drops them. */
export const DEFAULT_STOP_TIMEOUT_MS = 30_000;

export interface OutboundOptions {
  /** Cap on all outbound connections of this process (server_max_outbound_connections). */
  readonly maxConnections?: number;
  /** stop() deadline for transactions in flight, ms. */
  readonly stopTimeoutMs?: number;
  /** host_failure_retry: how long an IP that failed is skipped, ms. */
  readonly hostFailureRetryMs?: number;
  /** Session factory override (instrumentation); SmtpSession.open by default. Pass `listen` on to it. */
  readonly openSession?: ConnectDeps['open'];
  /** Policy hook points, asked once per connection (policy-hooks.ts). */
  readonly policy?: OutboundPolicySource;
  /** Shared connection throttles and connection limits of a cluster (docs/scaling.md); absent on a single node. */
  readonly cluster?: OutboundClusterPorts;
}

export interface PoolStats {
  readonly binding: string;
  readonly domain: string;
  /** Connections open or opening. */
  readonly open: number;
  /** Of those, idle and waiting for work. */
  readonly idle: number;
  /** The last connection goal the queue asked for. */
  readonly goal: number;
}

export interface OutboundStats {
  /** All outbound connections open or opening. */
  readonly open: number;
  /** Jobs taken and not yet reported. */
  readonly inFlight: number;
  readonly pools: readonly PoolStats[];
  /** Every connection open or opening, with its SMTP state. */
  readonly sessions: readonly ConnectionInfo[];
}

export class OutboundService implements Service, PoolHost {
  readonly name = 'outbound';
  readonly clock;
  private readonly logger: Logger;
  private readonly ledger: JobLedger;
  private readonly hostFailures: HostFailures;
  private readonly pools = new Map<string, Pool>();
  private readonly starvedPools = new Set<Pool>();
  private readonly connections = new Set<DeliveryConnection>();
  private readonly runs = new Set<Promise<ConnectionEnd>>();
  private readonly maxTotal: number;
  private readonly stopTimeoutMs: number;
  /** outbound_throttle_connections buckets; follows the live config (core's ThrottleRegistry). */
  private readonly throttles: ThrottleRegistry;
  /** Resolves (and is replaced) on each `config.reloaded`. */
  private reloadSignal!: { promise: Promise<void>; resolve: () => void };
  private readonly traces: TraceFiles;
  private readonly mtaStsCa = new MtaStsCa();
  /** Site, per-IP and shaping connection limits (docs/shaping.md). */
  private readonly limits: ConnectionLimits;
  private total = 0;
  private connectionSeq = 0;
  private stopping = false;
  private signalStop!: () => void;
  private stopped: Promise<void>;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly options: OutboundOptions = {},
  ) {
    this.clock = ctx.clock;
    this.logger = ctx.logger;
    this.ledger = new JobLedger(ctx.bus);
    this.hostFailures = new HostFailures(ctx.clock, options.hostFailureRetryMs ?? HOST_FAILURE_RETRY_MS);
    this.maxTotal = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    this.stopTimeoutMs = options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
    this.throttles = new ThrottleRegistry(() => ctx.config.delivery, ctx.clock, options.cluster?.throttles);
    this.newReloadSignal();
    this.traces = new TraceFiles(ctx.logger);
    this.limits = new ConnectionLimits(() => ctx.config);
    this.stopped = this.newStopSignal();
  }

  private newStopSignal(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.signalStop = resolve;
    });
  }

  readonly isStopping = (): boolean => this.stopping;

  private newReloadSignal(): void {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    this.reloadSignal = { promise, resolve };
  }

  /**
   * `config.reloaded`: idle connections were opened on the old route (routes, gateway, port,
   * EHLO name, TLS policy...), so they close and new work opens connections on the new one;
   * connections waiting for a connection-throttle token re-read the rate. A transaction in
   * progress finishes on its connection.
   */
  private onReloaded(): void {
    const signal = this.reloadSignal;
    this.newReloadSignal();
    signal.resolve();
    for (const pool of this.pools.values()) pool.closeIdle();
  }

  async start(): Promise<void> {
    if (this.unsubscribe) return;
    if (this.stopping) this.stopped = this.newStopSignal();
    this.stopping = false;
    const offDemand = this.ctx.bus.subscribe('queue.demand', (d) => this.onDemand(d));
    const offReload = this.ctx.bus.subscribe('config.reloaded', () => this.onReloaded());
    const offShaping = this.ctx.bus.subscribe('shaping.changed', (ev) => this.limits.changed(ev));
    // Counters for the control API (`petrel summary`, /metrics): open connections, jobs in flight.
    const offStats = this.ctx.bus.handle('outbound.stats', () => {
      const s = this.stats();
      return {
        connections: s.open,
        inFlight: s.inFlight,
        pools: s.pools.map((x) => ({ ...x })),
        sessions: s.sessions.map((x) => ({ ...x })),
      };
    });
    this.unsubscribe = () => {
      offDemand();
      offReload();
      offShaping();
      offStats();
    };
    this.logger.debug({ maxConnections: this.maxTotal }, 'started');
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.signalStop();
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.starvedPools.clear();
    for (const pool of this.pools.values()) pool.stopIdle();
    let timer: TimerHandle | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = this.clock.setTimer(this.stopTimeoutMs, () => resolve('deadline'));
    });
    const done = Promise.allSettled([...this.runs]).then(() => 'done' as const);
    const how = await Promise.race([done, deadline]);
    this.clock.clearTimer(timer);
    if (how === 'deadline') {
      this.logger.warn({ connections: this.connections.size }, 'stop deadline passed; dropping connections');
      for (const c of this.connections) c.abort();
    }
    const released = this.ledger.releaseAll();
    await this.traces.close();
    this.logger.debug({ released, how }, 'stopped');
  }

  /** Open connections per (binding, domain), for metrics. */
  stats(): OutboundStats {
    const pools: PoolStats[] = [];
    for (const p of this.pools.values())
      pools.push({ binding: p.binding, domain: p.domain, open: p.size, idle: p.idle, goal: p.goal });
    return {
      open: this.total,
      inFlight: this.ledger.size,
      pools,
      sessions: [...this.connections].map((c) => c.describe()),
    };
  }

  // PoolHost: the pools' view of the service.

  acquireSlot(): boolean {
    if (this.total >= this.maxTotal) return false;
    this.total++;
    return true;
  }

  releaseSlot(): void {
    this.total--;
  }

  maxConnections(binding: string, domain: string): number {
    return this.ctx.config.delivery.get('max_outbound_connections', binding, domain);
  }

  starved(pool: Pool): void {
    this.starvedPools.add(pool);
  }

  satisfied(pool: Pool): void {
    this.starvedPools.delete(pool);
  }

  slotFreed(pool: Pool): void {
    if (pool.size === 0 && pool.idle === 0 && !this.starvedPools.has(pool)) {
      const key = keyOf(pool.binding, pool.domain);
      if (this.pools.get(key) === pool) this.pools.delete(key);
    }
    // Pools refused by the global cap get the freed slots, oldest first.
    for (const p of [...this.starvedPools]) {
      if (this.total >= this.maxTotal || this.stopping) break;
      this.starvedPools.delete(p);
      p.fill();
    }
  }

  startConnection(pool: Pool, idleWait: (ms: number) => Promise<IdleWake>): Promise<ConnectionEnd> {
    const ctx = this.ctx;
    const conn = new DeliveryConnection({
      binding: pool.binding,
      domain: pool.domain,
      bus: ctx.bus,
      clock: this.clock,
      // Read on use: a reload swaps ctx.config, and a connection opened after it must see the new one.
      get config() {
        return ctx.config;
      },
      logger: this.logger,
      ledger: this.ledger,
      hostFailures: this.hostFailures,
      isStopping: this.isStopping,
      idleWait,
      connectionId: `c${++this.connectionSeq}`,
      throttles: this.throttles,
      reloaded: () => this.reloadSignal.promise,
      traces: this.traces,
      mtaStsCa: this.mtaStsCa,
      stopped: this.stopped,
      limits: this.limits,
      ...(this.options.openSession ? { open: this.options.openSession } : {}),
      ...(this.options.cluster?.connections ? { connections: this.options.cluster.connections } : {}),
      // One policy snapshot per connection: a reload applies to connections opened after it.
      ...(this.options.policy ? { policy: this.options.policy() } : {}),
    });
    this.connections.add(conn);
    const run: Promise<ConnectionEnd> = conn
      .run()
      .catch((err: unknown) => {
        this.logger.error({ err, binding: pool.binding, domain: pool.domain }, 'connection failed unexpectedly');
        this.ledger.releaseOwner(conn);
        return 'recycle' as const;
      })
      .then((end) => {
        this.connections.delete(conn);
        this.runs.delete(run);
        this.logger.debug({ binding: pool.binding, domain: pool.domain, end }, 'connection ended');
        return end;
      });
    this.runs.add(run);
    return run;
  }

  private onDemand(d: QueueDemand): void {
    if (this.stopping) return;
    const key = keyOf(d.binding, d.domain);
    let pool = this.pools.get(key);
    if (!pool) {
      pool = new Pool(d.binding, d.domain, this);
      this.pools.set(key, pool);
    }
    pool.demand(d.goal, d.active);
    this.logger.debug(
      { binding: d.binding, domain: d.domain, active: d.active, goal: d.goal, open: pool.size, idle: pool.idle },
      'demand',
    );
  }
}

function keyOf(binding: string, domain: string): string {
  return `${binding}\u0000${domain.toLowerCase()}`;
}
