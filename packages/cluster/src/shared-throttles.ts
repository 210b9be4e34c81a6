/**
 * Throttles shared by every node (outbound_throttle_messages / _connections): one token bucket
 * per throttle key in Redis, taken from atomically by a Lua script. `queue.take` is synchronous
 * and must not wait on the network, so each node's SharedBucket holds the few tokens Redis last
 * granted it and asks for more in the background: a take either finds a granted token at once or
 * says how long to wait (the queue's one timer then asks again). Tokens are kept only HOLD_MS: a
 * token not used by then is dropped, never spent later, so the cluster's rate over any window is
 * at most what the Redis bucket granted. While Redis is unreachable each node uses a local
 * bucket at rate / N (N = the live nodes last seen), so the sum stays within the limit.
 */
import { TokenBucket, type Clock, type Rate, type SharedBucketFactory, type TokenSource } from '@petrel/core';
import type { Keys } from './keys.js';
import type { RedisLink } from './redis-link.js';
import { TAKE_TOKENS } from './scripts.js';

/** How long granted tokens stay usable on the node. */
export const HOLD_MS = 100;
/** Tokens asked for at once: about this many ms of the rate (at least 1, at most MAX_BATCH). */
const BATCH_MS = 50;
const MAX_BATCH = 50;

export interface SharedThrottleEnv {
  readonly link: RedisLink;
  readonly keys: Keys;
  readonly clock: Clock;
  /** The live node count last seen (≥ 1), which divides the rate while Redis is down. */
  readonly liveNodes: () => number;
}

/** The rate one node may use alone while Redis is down: rate / N, with a capacity of at least one token. */
export function localShare(rate: Rate, nodes: number): Rate {
  const n = Math.max(1, nodes);
  const count = Math.max(1, rate.count / n);
  return { count, perMs: (count * n * rate.perMs) / rate.count };
}

export class SharedBucket implements TokenSource {
  private tokens = 0;
  private grantedAt = 0;
  /** When Redis said the next token is due (its last answer had none). */
  private nextAt = 0;
  private pending = false;
  private local: { readonly bucket: TokenBucket; readonly nodes: number } | undefined;
  private readonly batch: number;

  constructor(
    readonly key: string,
    readonly rate: Rate,
    private readonly env: SharedThrottleEnv,
  ) {
    this.batch = Math.min(MAX_BATCH, Math.max(1, Math.floor((rate.count * BATCH_MS) / rate.perMs)));
  }

  tryTake(): boolean {
    if (!this.env.link.up) return this.fallback().tryTake();
    this.local = undefined;
    if (this.tokens > 0 && this.env.clock.now() - this.grantedAt <= HOLD_MS) {
      this.tokens--;
      if (this.tokens === 0) this.fetch();
      return true;
    }
    this.tokens = 0;
    this.fetch();
    return false;
  }

  /**
   * 0 only when a granted token is held (so a tryTake right after takes it: the queue's shaping gate
   * asks waitMs first and takes afterwards); otherwise asks Redis for more and says when to look again.
   */
  waitMs(): number {
    if (!this.env.link.up) return this.fallback().waitMs();
    const now = this.env.clock.now();
    if (this.tokens > 0 && now - this.grantedAt <= HOLD_MS) return 0;
    this.tokens = 0;
    this.fetch();
    // A grant is on its way: look again soon (a loopback round trip is well under a millisecond).
    if (this.pending) return 2;
    return Math.max(1, this.nextAt - now);
  }

  /** The local bucket in force while Redis is down, remade when the live node count changed. */
  private fallback(): TokenBucket {
    const nodes = this.env.liveNodes();
    if (this.local === undefined || this.local.nodes !== nodes)
      this.local = { bucket: new TokenBucket(localShare(this.rate, nodes), this.env.clock), nodes };
    return this.local.bucket;
  }

  private fetch(): void {
    if (this.pending || this.env.clock.now() < this.nextAt) return;
    this.pending = true;
    const { link, keys, clock } = this.env;
    link
      .run<[number, number]>(TAKE_TOKENS, [keys.throttle(this.key)], [this.rate.count, this.rate.perMs, this.batch])
      .then(([granted, wait]) => {
        const now = clock.now();
        this.tokens = Number(granted);
        this.grantedAt = now;
        this.nextAt = this.tokens > 0 ? 0 : now + Number(wait);
      })
      .catch(() => {
        // The link is down now (it logged and counted it): the local share applies until it is back.
      })
      .finally(() => {
        this.pending = false;
      });
  }
}

/** The factory the queue's and outbound's ThrottleRegistry use under [cluster]. */
export function sharedBuckets(env: SharedThrottleEnv): SharedBucketFactory {
  return (key, rate) => new SharedBucket(key, rate, env);
}
