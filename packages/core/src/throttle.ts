/**
 * Token buckets for Momentum's outbound_throttle_messages / outbound_throttle_connections.
 * One bucket per *defining* scope (reference §1): every (binding, domain) whose value falls back
 * to the same scope draws on the same bucket, e.g. a binding_group's "10" is 10/s for all of its
 * bindings and domains together.
 */
import type { Clock } from './clock.js';
import type { Rate } from './config/units.js';
import type { ScopeResolver } from './config/scopes.js';
import type { SharedBucketFactory, TokenSource } from './cluster.js';

export class TokenBucket implements TokenSource {
  private tokens: number;
  private updatedAt: number;

  constructor(
    readonly rate: Rate,
    private readonly clock: Clock,
  ) {
    // Capacity = one period's worth: "100/60" allows a burst of 100, then 100 per minute.
    this.tokens = rate.count;
    this.updatedAt = clock.now();
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsed = now - this.updatedAt;
    if (elapsed > 0) {
      this.tokens = Math.min(this.rate.count, this.tokens + (elapsed * this.rate.count) / this.rate.perMs);
      this.updatedAt = now;
    }
  }

  /** Takes one token if there is one. */
  tryTake(): boolean {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }

  /** Milliseconds until a token is available (0 = now). */
  waitMs(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) * this.rate.perMs) / this.rate.count);
  }
}

export type ThrottleOption = 'outbound_throttle_messages' | 'outbound_throttle_connections';

/**
 * Finds (or makes) the bucket that governs a (binding, domain) for a throttle option. Given a
 * function, it resolves through the live config on every call, so `petrel config reload` changes
 * rates at once: a bucket is keyed by its scope and rate, so an unchanged rate keeps its bucket
 * (and its tokens) across a reload and a changed one starts a fresh bucket. Given a `shared`
 * factory (a cluster, docs/scaling.md), buckets come from it: the same key on every node is one
 * bucket for the whole cluster.
 */
export class ThrottleRegistry {
  private readonly buckets = new Map<string, TokenSource>();
  private readonly resolver: () => ScopeResolver;

  constructor(
    resolver: ScopeResolver | (() => ScopeResolver),
    private readonly clock: Clock,
    private readonly shared?: SharedBucketFactory,
  ) {
    this.resolver = typeof resolver === 'function' ? resolver : () => resolver;
  }

  /** The delivery options buckets are resolved from now: a cache of bucket() is valid while this is the same. */
  get resolverInUse(): ScopeResolver {
    return this.resolver();
  }

  /** The bucket for (binding, domain), or undefined when the option is unset (no throttle). */
  bucket(option: ThrottleOption, binding: string, domain: string): TokenSource | undefined {
    const { value, scope } = this.resolver().explain(option, binding, domain);
    if (!value) return undefined;
    // A global domain table shared by several domains via a regex is one bucket (reference §1).
    const key = `${option}\u0000${scope}\u0000${value.count}/${value.perMs}`;
    let b = this.buckets.get(key);
    if (!b) {
      b = this.shared ? this.shared(key, value) : new TokenBucket(value, this.clock);
      this.buckets.set(key, b);
    }
    return b;
  }
}
