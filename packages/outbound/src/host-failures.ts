/**
 * Momentum's host_failure_retry (reference §5): after a connect or protocol failure on one IP,
 * skip that IP for a while so that every new connection does not wait out the same dead host.
 * The skip is advice, never a ban: when every host of a route is marked, all are tried again so a
 * domain whose MXs were all briefly down is not starved until the marks expire.
 */
import type { Clock, RouteHost } from '@petrel/core';

/** Momentum's default host_failure_retry: 120 s. */
export const HOST_FAILURE_RETRY_MS = 120_000;

/** Upper bound on remembered IPs, so a storm of distinct dead hosts cannot grow memory without limit. */
const MAX_ENTRIES = 100_000;

export class HostFailures {
  /** IP → epoch ms until which it is skipped. */
  private readonly until = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly retryMs: number = HOST_FAILURE_RETRY_MS,
  ) {}

  /** Records a connect/protocol failure of `ip`. */
  mark(ip: string): void {
    if (this.until.size >= MAX_ENTRIES) this.prune();
    if (this.until.size >= MAX_ENTRIES) this.until.clear();
    this.until.set(ip, this.clock.now() + this.retryMs);
  }

  /** Forgets a failure: the IP answered. */
  clear(ip: string): void {
    this.until.delete(ip);
  }

  isMarked(ip: string): boolean {
    const t = this.until.get(ip);
    if (t === undefined) return false;
    if (t <= this.clock.now()) {
      this.until.delete(ip);
      return false;
    }
    return true;
  }

  /** The hosts to try, in route order, without marked ones; all of them when every one is marked. */
  candidates(hosts: readonly RouteHost[]): readonly RouteHost[] {
    const open = hosts.filter((h) => !this.isMarked(h.address));
    return open.length > 0 ? open : hosts;
  }

  get size(): number {
    return this.until.size;
  }

  private prune(): void {
    const now = this.clock.now();
    for (const [ip, t] of this.until) if (t <= now) this.until.delete(ip);
  }
}
