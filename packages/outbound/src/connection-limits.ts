/**
 * Connection limits beyond a pool's own (docs/shaping.md): per MX rollup site and binding (a
 * [[site]] entry's max_connections, else `[shaping] site_max_connections`), per remote IP and
 * binding (max_connections_per_ip), and the max_connections states shaping rules, operators and
 * policy modules set over a binding, a domain, both, or a site. A connection takes a lease before
 * it connects and gives it back when it closes; one that finds no room waits for a release.
 */
import {
  siteMatches,
  stateCovers,
  type PetrelConfig,
  type ShapingChanged,
  type ShapingState,
  type SiteLimitConfig,
} from '@petrel/core';

/** Given back when the connection closes (idempotent). */
export interface Lease {
  release(): void;
}

/**
 * What a connection is, for counting: its queue and its route's site (the site lease, taken
 * before connecting), or with `ip` the address it is about to dial (the IP lease, per host tried).
 */
export interface LeaseKey {
  readonly binding: string;
  readonly domain: string;
  readonly site?: string;
  readonly ip?: string;
}

export class ConnectionLimits {
  private readonly counts = new Map<string, number>();
  private readonly states = new Map<string, ShapingState>();
  private waiters: (() => void)[] = [];

  constructor(private readonly config: () => PetrelConfig) {}

  /** `shaping.changed`: max_connections states; a change may make room, so waiters look again. */
  changed(ev: ShapingChanged): void {
    const s = ev.state;
    if (s.kind !== 'max_connections') return;
    if (ev.change === 'set' || ev.change === 'restored') this.states.set(s.id, s);
    else this.states.delete(s.id);
    this.wakeAll();
  }

  /** Resolves at the next release or limit change (the caller then tries again). */
  freed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The [[site]] entry for (binding, site): binding-specific first. */
  siteEntry(binding: string, site: string | undefined): SiteLimitConfig | undefined {
    if (site === undefined) return undefined;
    const matching = this.config().shaping.rules.sites.filter(
      (x) => (x.binding === undefined || x.binding === binding) && siteMatches(x.mx, site),
    );
    return matching.find((x) => x.binding === binding) ?? matching[0];
  }

  /** The dimensions a connection counts in, each with its limit (Infinity = none). */
  private dimensions(k: LeaseKey): { key: string; limit: number }[] {
    const shaping = this.config().shaping;
    const entry = this.siteEntry(k.binding, k.site);
    const dims: { key: string; limit: number }[] = [];
    const cap = (n: number | undefined): number => (n !== undefined && n > 0 ? n : Infinity);
    if (k.ip !== undefined) {
      const limit = cap(entry?.maxConnectionsPerIp ?? shaping.max_connections_per_ip);
      return limit === Infinity ? [] : [{ key: `ip\u0000${k.binding}\u0000${k.ip}`, limit }];
    }
    if (k.site !== undefined)
      dims.push({
        key: `site\u0000${k.binding}\u0000${k.site}`,
        limit: cap(entry?.maxConnections ?? shaping.site_max_connections),
      });
    for (const s of this.states.values()) {
      if (!stateCovers(s, k.binding, k.domain, k.site)) continue;
      dims.push({ key: `state\u0000${s.id}`, limit: cap(s.connections) });
    }
    return dims;
  }

  /**
   * The limits a connection of (binding, domain, site) is under that a cluster shares (docs/scaling.md):
   * the site's and the max_connections states', each a key for the ConnectionGate and its limit.
   * Per-IP limits stay per node (each node dials from its own addresses). Sorted by key: every
   * connection waits for its leases in one order, so two never hold one each of what the other needs.
   */
  shared(k: LeaseKey): { key: string; limit: number }[] {
    if (k.ip !== undefined) return [];
    return this.dimensions(k)
      .filter((d) => d.limit !== Infinity)
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** A lease when every dimension has room, else undefined (nothing taken). */
  tryAcquire(k: LeaseKey): Lease | undefined {
    const dims = this.dimensions(k);
    if (dims.some((d) => (this.counts.get(d.key) ?? 0) >= d.limit)) return undefined;
    for (const d of dims) this.counts.set(d.key, (this.counts.get(d.key) ?? 0) + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        for (const d of dims) {
          const n = (this.counts.get(d.key) ?? 1) - 1;
          if (n <= 0) this.counts.delete(d.key);
          else this.counts.set(d.key, n);
        }
        this.wakeAll();
      },
    };
  }

  /** Open connections counted for a site of a binding (tests, stats). */
  openToSite(binding: string, site: string): number {
    return this.counts.get(`site\u0000${binding}\u0000${site}`) ?? 0;
  }

  private wakeAll(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const resolve of w) resolve();
  }
}
