/**
 * What shaping adds to `queue.take` (docs/shaping.md): throttle states set by rules, operators or
 * policy modules (`shaping.changed`), the message throttle of a [[site]] entry shared by every
 * domain of the MX rollup site (routing tells the site of a domain with `routing.site`), and the
 * binding's warm-up budget. `wait` says whether a job may go now without using anything up;
 * `consume` then counts it, so a refusal never costs a token. In a cluster the throttle states and
 * site throttles are buckets shared by every node (docs/scaling.md); warm-up budgets are per node.
 */
import { basename } from 'node:path';
import {
  TokenBucket,
  siteMatches,
  stateCovers,
  type Clock,
  type Rate,
  type PetrelConfig,
  type ShapingChanged,
  type ShapingStore,
  type SiteLearned,
  type SharedBucketFactory,
  type SiteLimitConfig,
  type TokenSource,
} from '@petrel/core';
import { WarmupLedger } from './warmup.js';

/** Domains whose site is remembered before the map starts over. */
const MAX_KNOWN_SITES = 100_000;

interface Throttle {
  readonly state: ShapingChanged['state'];
  readonly bucket: TokenSource;
}

export class ShapingGate {
  /** domain → MX rollup site, as routing last resolved it. */
  private readonly sites = new Map<string, string>();
  private readonly throttles = new Map<string, Throttle>();
  private readonly siteBuckets = new Map<string, TokenSource>();
  private siteEntryCache = new Map<string, SiteLimitConfig | null>();
  private siteEntryFor: object | undefined;
  private throttledFor: object | undefined;
  private anySiteThrottle = false;
  readonly warmup: WarmupLedger;

  constructor(
    private readonly clock: Clock,
    private readonly config: () => PetrelConfig,
    store: () => ShapingStore | undefined,
    /** A cluster's shared buckets (one per key across the nodes); absent on a single node. */
    private readonly shared?: SharedBucketFactory,
  ) {
    this.warmup = new WarmupLedger(clock, () => config().shaping.warmup, store);
  }

  /** `routing.site`. Bounded as routing's own map is: past the bound it starts over (sites are re-learned). */
  siteLearned(ev: SiteLearned): void {
    if (this.sites.size >= MAX_KNOWN_SITES) this.sites.clear();
    this.sites.set(ev.domain.toLowerCase(), ev.site);
  }

  siteOf(domain: string): string | undefined {
    return this.sites.get(domain);
  }

  /** `shaping.changed`: throttle states come and go; other kinds are outbound's or the suspensions'. */
  changed(ev: ShapingChanged): void {
    const s = ev.state;
    if (s.kind !== 'throttle') return;
    if ((ev.change === 'set' || ev.change === 'restored') && s.rate !== undefined) {
      const key = `shaping\u0000${s.id}\u0000${s.rate.count}/${s.rate.perMs}`;
      this.throttles.set(s.id, { state: s, bucket: this.bucket(key, s.rate) });
    } else if (ev.change === 'cleared' || ev.change === 'expired') this.throttles.delete(s.id);
  }

  private bucket(key: string, rate: Rate): TokenSource {
    return this.shared ? this.shared(key, rate) : new TokenBucket(rate, this.clock);
  }

  /** The [[site]] entry for (binding, site): a binding-specific one first, then a general one. */
  siteEntry(binding: string, site: string | undefined): SiteLimitConfig | undefined {
    if (site === undefined) return undefined;
    const entries = this.config().shaping.rules.sites;
    if (entries.length === 0) return undefined;
    if (this.siteEntryFor !== entries) {
      this.siteEntryCache = new Map();
      this.siteEntryFor = entries;
    }
    const key = `${binding}\u0000${site}`;
    let e = this.siteEntryCache.get(key);
    if (e === undefined) {
      const matching = entries.filter(
        (x) => (x.binding === undefined || x.binding === binding) && siteMatches(x.mx, site),
      );
      e = matching.find((x) => x.binding === binding) ?? matching[0] ?? null;
      this.siteEntryCache.set(key, e);
    }
    return e ?? undefined;
  }

  private *buckets(binding: string, domain: string, site: string | undefined): IterableIterator<TokenSource> {
    for (const t of this.throttles.values()) if (stateCovers(t.state, binding, domain, site)) yield t.bucket;
    const entry = this.siteEntry(binding, site);
    if (entry?.throttle !== undefined) {
      // One bucket per (binding, entry, rate): every domain and MX set the entry covers shares it.
      const rate = `${entry.throttle.count}/${entry.throttle.perMs}`;
      // Keyed by the file's base name, not its path: the nodes' paths may differ.
      const key = `site\u0000${binding}\u0000${basename(entry.file)}\u0000${entry.name}\u0000${rate}`;
      let b = this.siteBuckets.get(key);
      if (b === undefined) {
        b = this.bucket(key, entry.throttle);
        this.siteBuckets.set(key, b);
      }
      yield b;
    }
  }

  /**
   * False when nothing can hold a take: no throttle state, no warm-up schedule, no [[site]] throttle.
   * The hot path (`queue.take`) then pays two length checks and one cached flag.
   */
  private active(): boolean {
    if (this.throttles.size > 0) return true;
    const shaping = this.config().shaping;
    if (shaping.warmup.length > 0) return true;
    const entries = shaping.rules.sites;
    if (this.throttledFor !== entries) {
      this.throttledFor = entries;
      this.anySiteThrottle = entries.some((e) => e.throttle !== undefined);
    }
    return this.anySiteThrottle;
  }

  /** 0 when a job of (binding, domain) may be handed out now; else ms until it may (nothing used up). */
  wait(binding: string, domain: string, now: number): number {
    if (!this.active()) return 0;
    const site = this.sites.get(domain);
    let wait = this.warmup.wait(binding, site ?? domain, now);
    for (const b of this.buckets(binding, domain, site)) wait = Math.max(wait, b.waitMs());
    return wait;
  }

  /** Counts a job handed out (after wait() said 0). */
  consume(binding: string, domain: string, now: number): void {
    if (!this.active()) return;
    const site = this.sites.get(domain);
    for (const b of this.buckets(binding, domain, site)) b.tryTake();
    this.warmup.consume(binding, site ?? domain, now);
  }
}
