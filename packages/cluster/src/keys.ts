/**
 * Every Redis key and channel the cluster uses, in one place (docs/scaling.md lists them).
 * `prefix` is `[cluster] prefix`, so several clusters can share one Redis.
 */
export class Keys {
  constructor(readonly prefix: string) {}

  /** A node's heartbeat (string, JSON, expires after node_ttl). */
  node(name: string): string {
    return `${this.prefix}:node:${name}`;
  }

  get nodePattern(): string {
    return `${this.prefix}:node:*`;
  }

  /** A shared token bucket (hash), by the throttle's option, defining scope and rate. */
  throttle(key: string): string {
    return `${this.prefix}:throttle:${key.replaceAll('\u0000', '|')}`;
  }

  get throttlePattern(): string {
    return `${this.prefix}:throttle:*`;
  }

  /** The leases of one connection limit (sorted set), e.g. `conn:default|example.com`. */
  lease(key: string): string {
    return `${this.prefix}:lease:${key.replaceAll('\u0000', '|')}`;
  }

  get leasePattern(): string {
    return `${this.prefix}:lease:*`;
  }

  /**
   * Every shared suspension (hash: selector → JSON; `…:changes` is its pub/sub channel, `…:epoch`
   * marks that Redis has the data: see ReplicatedTable).
   */
  get suspensions(): string {
    return `${this.prefix}:suspensions`;
  }

  /** Shared shaping states, throttles and connection limits (hash: state id → JSON; as suspensions). */
  get shaping(): string {
    return `${this.prefix}:shaping`;
  }

  /** The shared suppression list (hash: `scope|address` → entry or tombstone JSON; as suspensions). */
  get suppressions(): string {
    return `${this.prefix}:suppressions`;
  }
}
