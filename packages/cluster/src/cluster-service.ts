/**
 * The cluster service (docs/scaling.md): one Redis link, and on it the shared throttles, the
 * connection leases, the shared suspensions, shaping states and suppression list, and the node
 * heartbeats. The app builds it only when `[cluster] redis` is set and hands its ports to the
 * queue, outbound, shaping and the suppression list; it answers
 * `cluster.status` (for `petrel cluster status`) and `cluster.stats` (for /metrics).
 */
import {
  PetrelError,
  type ClusterOptions,
  type ClusterStatus,
  type OutboundClusterPorts,
  type QueueClusterPorts,
  type Service,
  type ServiceContext,
  type ServiceStats,
  type ShapingState,
} from '@petrel/core';
import { LeaseGate } from './connection-leases.js';
import { Keys } from './keys.js';
import { NodeRegistry, scanKeys } from './node-registry.js';
import { RedisLink, redactUrl } from './redis-link.js';
import { ReplicatedTable } from './replicated-table.js';
import { COUNT_LEASES } from './scripts.js';
import { sharedBuckets } from './shared-throttles.js';
import { SuppressionSync } from './suppression-sync.js';
import { SuspensionSync } from './suspension-sync.js';

/** Most throttle and lease keys `cluster status` lists (the rest are counted, not shown). */
const STATUS_KEYS = 200;

export class ClusterService implements Service {
  readonly name = 'cluster';
  readonly link: RedisLink;
  readonly keys: Keys;
  readonly leases: LeaseGate;
  readonly suspensions: SuspensionSync;
  /** Throttle and max_connections states (the shaping service's port); suspensions go through the queue. */
  readonly shaping: ReplicatedTable<ShapingState>;
  /** The suppression list: `suppressions.share(store)` wraps the node's own store. */
  readonly suppressions: SuppressionSync;
  readonly nodes: NodeRegistry;
  private readonly options: ClusterOptions;
  private readonly undo: (() => void)[] = [];

  constructor(private readonly ctx: ServiceContext) {
    const options = ctx.config.cluster;
    if (options.redis === '')
      throw new PetrelError('PETREL_ERR_CLUSTER_OFF', 'the cluster service needs [cluster] redis', {});
    this.options = options;
    const { clock, logger } = ctx;
    this.keys = new Keys(options.prefix);
    this.link = new RedisLink({
      url: options.redis,
      name: options.node,
      commandTimeoutMs: options.command_timeout,
      connectTimeoutMs: options.connect_timeout,
      clock,
      logger,
    });
    const base = { link: this.link, keys: this.keys, clock, logger, node: options.node };
    this.nodes = new NodeRegistry({
      ...base,
      bus: ctx.bus,
      intervalMs: options.heartbeat_interval,
      ttlMs: options.node_ttl,
    });
    const liveNodes = (): number => this.nodes.liveNodes;
    this.leases = new LeaseGate({ ...base, leaseTtlMs: options.lease_ttl, liveNodes });
    const reconcileIntervalMs = options.reconcile_interval;
    this.suspensions = new SuspensionSync({ ...base, reconcileIntervalMs });
    this.shaping = new ReplicatedTable<ShapingState>({
      ...base,
      reconcileIntervalMs,
      hash: this.keys.shaping,
      what: 'shaping states',
      live: (st, now) => st.until === undefined || st.until > now,
    });
    this.suppressions = new SuppressionSync({ ...base, reconcileIntervalMs });
    this.queuePorts = { throttles: sharedBuckets({ ...base, liveNodes }), suspensions: this.suspensions };
    this.outboundPorts = { throttles: sharedBuckets({ ...base, liveNodes }), connections: this.leases };
  }

  /** What the queue shares: message throttles and suspensions. */
  readonly queuePorts: QueueClusterPorts;
  /** What outbound shares: connection throttles and connection limits. */
  readonly outboundPorts: OutboundClusterPorts;

  async start(): Promise<void> {
    await this.link.start();
    await this.suspensions.start();
    await this.shaping.start();
    await this.suppressions.start();
    this.leases.start();
    await this.nodes.start();
    const { bus } = this.ctx;
    this.undo.push(
      bus.handle('cluster.status', () => this.status()),
      bus.handle('cluster.stats', () => this.stats()),
    );
  }

  async stop(): Promise<void> {
    for (const off of this.undo.splice(0)) off();
    this.suspensions.stop();
    this.shaping.stop();
    this.suppressions.stop();
    this.leases.stop();
    await this.nodes.stop();
    await this.link.stop();
  }

  stats(): ServiceStats {
    return {
      redisUp: this.link.up ? 1 : 0,
      degradations: this.link.degradations,
      liveNodes: this.nodes.liveNodes,
      leases: this.leases.heldCount,
      self: [{ node: this.options.node }],
    };
  }

  /** This node's view: the nodes, shared suspensions, shaping states, suppression list size, throttles, leases. */
  async status(): Promise<ClusterStatus> {
    const base = {
      node: this.options.node,
      redis: redactUrl(this.options.redis),
      degradations: this.link.degradations,
      liveNodes: this.nodes.liveNodes,
    };
    if (!this.link.up && !(await this.link.probe()))
      return {
        ...base,
        state: 'down',
        nodes: [],
        suspensions: [],
        shaping: [],
        suppressions: 0,
        throttles: [],
        leases: [],
      };
    const prefixOf = (pattern: string): string => pattern.slice(0, -1);
    const throttleKeys = (await scanKeys(this.link, this.keys.throttlePattern)).sort().slice(0, STATUS_KEYS);
    const throttles = [];
    for (const k of throttleKeys) {
      const [tokens] = await this.link.call<(string | null)[]>(['HMGET', k, 't']);
      throttles.push({ key: k.slice(prefixOf(this.keys.throttlePattern).length), tokens: Number(tokens ?? 0) });
    }
    const leaseKeys = (await scanKeys(this.link, this.keys.leasePattern)).sort().slice(0, STATUS_KEYS);
    const leases = [];
    for (const k of leaseKeys) {
      const count = Number(await this.link.run<number>(COUNT_LEASES, [k], []));
      if (count > 0) leases.push({ key: k.slice(prefixOf(this.keys.leasePattern).length), count });
    }
    return {
      ...base,
      state: this.link.up ? 'up' : 'down',
      nodes: await this.nodes.list(),
      suspensions: await this.suspensions.list(),
      shaping: [...(await this.shaping.list()).values()],
      suppressions: await this.suppressions.size(),
      throttles,
      leases,
    };
  }
}
