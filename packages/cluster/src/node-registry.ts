/**
 * Node heartbeats: every heartbeat_interval a node writes its name, pid, start time and queue
 * totals to `<prefix>:node:<name>` with a TTL of node_ttl, so a node that stops writing drops out
 * by itself. The same round counts the live nodes (the N that divides limits while Redis is down)
 * and, while Redis is down, probes it with a PING.
 */
import { hostname } from 'node:os';
import type { Bus, ClusterNodeInfo, Clock, Logger, TimerHandle } from '@petrel/core';
import type { Keys } from './keys.js';
import type { RedisLink } from './redis-link.js';

/** SCAN rounds when listing nodes (COUNT 500 each): bounds the walk over a large keyspace. */
const MAX_SCAN_ROUNDS = 1000;

export interface NodeRegistryEnv {
  readonly link: RedisLink;
  readonly keys: Keys;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly bus: Bus;
  readonly node: string;
  readonly intervalMs: number;
  readonly ttlMs: number;
}

/** Every key matching `pattern`, by SCAN (never KEYS, which blocks Redis). */
export async function scanKeys(link: RedisLink, pattern: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  for (let i = 0; i < MAX_SCAN_ROUNDS; i++) {
    const [next, keys] = await link.call<[string, string[]]>(['SCAN', cursor, 'MATCH', pattern, 'COUNT', '500']);
    out.push(...keys.map(String));
    cursor = String(next);
    if (cursor === '0') break;
  }
  return out;
}

export class NodeRegistry {
  private timer: TimerHandle | undefined;
  private stopped = false;
  private live = 1;
  private readonly startedAt: number;
  private round: Promise<void> = Promise.resolve();

  constructor(private readonly env: NodeRegistryEnv) {
    this.startedAt = env.clock.now();
  }

  /** Live nodes in the last round that reached Redis (this one included), at least 1. */
  get liveNodes(): number {
    return this.live;
  }

  async start(): Promise<void> {
    await this.beat();
    this.schedule();
  }

  /** Stops beating and removes this node's heartbeat (a clean stop leaves the live count at once). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.env.clock.clearTimer(this.timer);
    await this.round;
    if (this.env.link.up) await this.env.link.call(['DEL', this.env.keys.node(this.env.node)]).catch(() => undefined);
  }

  /** Every node with a live heartbeat, by name. */
  async list(): Promise<ClusterNodeInfo[]> {
    const keys = await scanKeys(this.env.link, this.env.keys.nodePattern);
    if (keys.length === 0) return [];
    const values = await this.env.link.call<(string | null)[]>(['MGET', ...keys]);
    const nodes: ClusterNodeInfo[] = [];
    for (const v of values) {
      if (v === null || v === undefined) continue;
      try {
        nodes.push(JSON.parse(String(v)) as ClusterNodeInfo);
      } catch {
        this.env.logger.warn({ value: v }, 'cluster: unreadable node heartbeat ignored');
      }
    }
    return nodes.sort((a, b) => a.node.localeCompare(b.node));
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.env.clock.setTimer(this.env.intervalMs, () => {
      this.round = this.beat().finally(() => this.schedule());
    });
  }

  /** One heartbeat round; never throws (an unreachable Redis is the link's to report). */
  private async beat(): Promise<void> {
    const { link, keys, node } = this.env;
    try {
      if (!link.up && !(await link.probe())) return;
      const info = await this.describe();
      await link.call(['SET', keys.node(node), JSON.stringify(info), 'PX', String(this.env.ttlMs)]);
      this.live = Math.max(1, (await scanKeys(link, keys.nodePattern)).length);
    } catch (err) {
      this.env.logger.debug({ err }, 'cluster: heartbeat round failed');
    }
  }

  private async describe(): Promise<ClusterNodeInfo> {
    let active = 0;
    let delayed = 0;
    let inFlight = 0;
    if (this.env.bus.hasHandler('queue.counts'))
      for (const c of await this.env.bus.request('queue.counts', {})) {
        active += c.active;
        delayed += c.delayed;
        inFlight += c.inFlight;
      }
    const since = this.env.link.degradedSince;
    return {
      node: this.env.node,
      hostname: hostname(),
      pid: process.pid,
      startedAt: this.startedAt,
      heartbeatAt: this.env.clock.now(),
      active,
      delayed,
      inFlight,
      ...(since !== undefined ? { degradedSince: since } : {}),
    };
  }
}
