/**
 * Connection limits across nodes (KumoMTA's shared connection limits): before a connection opens
 * it takes a lease in a Redis sorted set for its limit key, member = node + lease id, score = the
 * lease's expiry. Leases are renewed every lease_ttl / 3 while their connections are open and
 * removed when they close, so a node that dies stops counting once lease_ttl has passed. While
 * Redis is unreachable a node admits up to its share of the limit, max(1, floor(limit / N)) with
 * N the live nodes last seen; those leases are registered in Redis when it is back (over the limit
 * for a moment, if need be: the connections are open, so they count, and new ones wait).
 */
import { randomBytes } from 'node:crypto';
import type { Clock, ConnectionGate, ConnectionLease, Logger, TimerHandle } from '@petrel/core';
import type { Keys } from './keys.js';
import type { RedisLink } from './redis-link.js';
import { ACQUIRE_LEASE, RENEW_LEASE } from './scripts.js';

/** A refused acquire looks again after this, doubling up to MAX_RETRY_MS (at once when a local lease ends). */
const FIRST_RETRY_MS = 25;
const MAX_RETRY_MS = 500;
/** Bounds the wait loop (at MAX_RETRY_MS a round, over two hours). */
const MAX_ROUNDS = 20_000;

export interface LeaseEnv {
  readonly link: RedisLink;
  readonly keys: Keys;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly node: string;
  readonly leaseTtlMs: number;
  readonly liveNodes: () => number;
}

interface Held {
  readonly key: string;
  readonly member: string;
}

export class LeaseGate implements ConnectionGate {
  private readonly held = new Set<Held>();
  private readonly perKey = new Map<string, number>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private seq = 0;
  private readonly run = randomBytes(4).toString('hex');
  private renewTimer: TimerHandle | undefined;
  private stopped = false;

  constructor(private readonly env: LeaseEnv) {
    // Leases taken while Redis was down become shared ones; the rest are refreshed.
    env.link.onUp(() => void this.renewAll());
  }

  start(): void {
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.env.clock.clearTimer(this.renewTimer);
    for (const set of this.waiters.values()) for (const wake of set) wake();
  }

  /** Leases this node holds in all (metrics). */
  get heldCount(): number {
    return this.held.size;
  }

  /** Leases this node holds per key (for status and tests). */
  localCount(key: string): number {
    return this.perKey.get(key) ?? 0;
  }

  async acquire(key: string, limit: number, stopped: Promise<void>): Promise<ConnectionLease | undefined> {
    let halt = false;
    void stopped.then(() => {
      halt = true;
      this.wakeKey(key);
    });
    let retry = FIRST_RETRY_MS;
    for (let round = 0; round < MAX_ROUNDS && !halt && !this.stopped; round++) {
      const lease = await this.tryAcquire(key, limit);
      if (lease) return lease;
      if (halt || this.stopped) break;
      await this.pause(key, retry);
      retry = Math.min(MAX_RETRY_MS, retry * 2);
    }
    return undefined;
  }

  private async tryAcquire(key: string, limit: number): Promise<ConnectionLease | undefined> {
    const { link, keys, node, leaseTtlMs } = this.env;
    // Unique across restarts of the node: a stale lease of its previous run (a crash) is not reused.
    const member = `${node}:${this.run}:${++this.seq}`;
    if (link.up) {
      try {
        const ok = await link.run<number>(ACQUIRE_LEASE, [keys.lease(key)], [member, limit, leaseTtlMs]);
        return Number(ok) === 1 ? this.hold(key, member) : undefined;
      } catch {
        // Redis went away during the call: the local share decides below.
      }
    }
    const share = Math.max(1, Math.floor(limit / Math.max(1, this.env.liveNodes())));
    return this.localCount(key) < share ? this.hold(key, member) : undefined;
  }

  private hold(key: string, member: string): ConnectionLease {
    const h: Held = { key, member };
    this.held.add(h);
    this.perKey.set(key, this.localCount(key) + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.held.delete(h);
        const n = this.localCount(key) - 1;
        if (n > 0) this.perKey.set(key, n);
        else this.perKey.delete(key);
        this.wakeKey(key);
        if (this.env.link.up)
          this.env.link.call(['ZREM', this.env.keys.lease(key), member]).catch(() => {
            // Down again: the lease expires by itself after lease_ttl.
          });
      },
    };
  }

  /** Waits `ms`, or less when a lease of the key is released on this node. */
  private pause(key: string, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let set = this.waiters.get(key);
      if (!set) {
        set = new Set();
        this.waiters.set(key, set);
      }
      const s = set;
      const done = (): void => {
        this.env.clock.clearTimer(timer);
        s.delete(done);
        if (s.size === 0 && this.waiters.get(key) === s) this.waiters.delete(key);
        resolve();
      };
      const timer = this.env.clock.setTimer(ms, done);
      s.add(done);
    });
  }

  private wakeKey(key: string): void {
    const set = this.waiters.get(key);
    if (set) for (const wake of [...set]) wake();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.renewTimer = this.env.clock.setTimer(Math.max(10, Math.floor(this.env.leaseTtlMs / 3)), () => {
      void this.renewAll().finally(() => this.schedule());
    });
  }

  /** Extends every lease this node holds (and registers those taken while Redis was down). */
  private async renewAll(): Promise<void> {
    const { link, keys, leaseTtlMs } = this.env;
    if (!link.up || this.held.size === 0) return;
    try {
      await Promise.all([...this.held].map((h) => link.run(RENEW_LEASE, [keys.lease(h.key)], [h.member, leaseTtlMs])));
    } catch {
      // The link logged and counted the outage; the next round (or the reconnect) tries again.
    }
  }
}
