/**
 * MTA-STS discovery for a destination domain (RFC 8461 §3, §5): the `_mta-sts` TXT record through
 * routing's resolver, a policy fetch when its id is new, and the persistent cache. What a route
 * carries: the policy in force (enforce or testing), or none; and the failure to report, if any.
 *
 * Hot path: route resolution asks once per new connection; an answer is remembered for
 * RECHECK_MS per domain (the TXT record is not re-read for every connection), and concurrent asks
 * for one domain share one discovery.
 */
import type { MtaStsRoutePolicy, TlsFailureType } from '@petrel/core';
import type { MtaStsCache } from './mta-sts-cache.js';
import type { FetchResult } from './mta-sts-fetch.js';
import { parseMtaStsPolicy, parseMtaStsTxt } from './mta-sts-policy.js';

/** How long a discovery answer is reused before the TXT record is read again. */
export const RECHECK_MS = 300_000;

/** A TXT lookup: the records (each a list of strings), 'none' (NXDOMAIN/NODATA) or 'error'. */
export type TxtLookup = (name: string) => Promise<readonly (readonly string[])[] | 'none' | 'error'>;

export interface MtaStsDiscovery {
  /** The policy in force; absent when the domain has none (or mode none). */
  readonly policy?: MtaStsRoutePolicy;
  /** A discovery failure to report (TLS-RPT), with or without a cached policy still in force. */
  readonly failure?: { readonly type: TlsFailureType; readonly detail: string };
}

export interface MtaStsResolverOptions {
  readonly txt: TxtLookup;
  readonly fetch: (domain: string) => Promise<FetchResult>;
  readonly cache: MtaStsCache;
  /** Epoch ms. */
  readonly now: () => number;
  /** Logs a discovery failure (once per discovery). */
  readonly onFailure?: (domain: string, failure: NonNullable<MtaStsDiscovery['failure']>) => void;
}

export class MtaStsResolver {
  private readonly recent = new Map<string, { readonly until: number; readonly answer: MtaStsDiscovery }>();
  private readonly inflight = new Map<string, Promise<MtaStsDiscovery>>();
  /** Discoveries run / answered from memory, for tests and metrics. */
  readonly stats = { discoveries: 0, fetches: 0, reused: 0 };

  constructor(private readonly options: MtaStsResolverOptions) {}

  discover(domain: string): Promise<MtaStsDiscovery> {
    const d = domain.toLowerCase().replace(/\.$/, '');
    const now = this.options.now();
    const hit = this.recent.get(d);
    if (hit && hit.until > now) {
      this.stats.reused++;
      return Promise.resolve(hit.answer);
    }
    const running = this.inflight.get(d);
    if (running !== undefined) return running;
    const p = this.run(d).then((answer) => {
      this.inflight.delete(d);
      if (this.recent.size > 50_000) this.recent.clear();
      // Reused at most RECHECK_MS, and never past the policy's own expiry (max_age, §5.1).
      const expires = this.options.cache.get(d, this.options.now())?.expiresAt ?? Infinity;
      this.recent.set(d, { until: Math.min(this.options.now() + RECHECK_MS, expires), answer });
      return answer;
    });
    this.inflight.set(d, p);
    return p;
  }

  /** Forgets remembered answers (not the cache): the next connection reads the TXT record again. */
  forget(): void {
    this.recent.clear();
  }

  private async run(domain: string): Promise<MtaStsDiscovery> {
    this.stats.discoveries++;
    const { cache, now } = this.options;
    const cached = cache.get(domain, now());
    const fromCache = (failure?: MtaStsDiscovery['failure']): MtaStsDiscovery => {
      const policy = cached && cached.policy.mode !== 'none' ? routePolicy(cached.id, cached.policy) : undefined;
      return { ...(policy ? { policy } : {}), ...(failure ? { failure } : {}) };
    };
    const txt = await this.options.txt(`_mta-sts.${domain}`);
    // §3.3/§5.1: no record, or a failed lookup, leaves a cached policy in force until it expires.
    if (txt === 'none' || txt === 'error') return fromCache();
    const record = parseMtaStsTxt(txt);
    if (record === undefined) return fromCache();
    if (!record.ok) return this.failed(domain, fromCache, 'sts-policy-invalid', `TXT record: ${record.reason}`);
    // §3.3: a known id means the cached policy is current; only a new id is fetched.
    if (cached && cached.id === record.value.id) return fromCache();
    this.stats.fetches++;
    const got = await this.options.fetch(domain);
    if (!got.ok)
      return this.failed(domain, fromCache, got.webpki ? 'sts-webpki-invalid' : 'sts-policy-fetch-error', got.reason);
    const parsed = parseMtaStsPolicy(got.text);
    if (!parsed.ok) return this.failed(domain, fromCache, 'sts-policy-invalid', parsed.reason);
    const at = now();
    cache.set(domain, {
      id: record.value.id,
      policy: parsed.value,
      fetchedAt: at,
      expiresAt: at + parsed.value.maxAge * 1000,
    });
    return parsed.value.mode === 'none' ? {} : { policy: routePolicy(record.value.id, parsed.value) };
  }

  private failed(
    domain: string,
    fromCache: (f: MtaStsDiscovery['failure']) => MtaStsDiscovery,
    type: TlsFailureType,
    detail: string,
  ): MtaStsDiscovery {
    const failure = { type, detail };
    this.options.onFailure?.(domain, failure);
    return fromCache(failure);
  }
}

function routePolicy(
  id: string,
  p: { mode: string; mx: readonly string[]; lines: readonly string[] },
): MtaStsRoutePolicy {
  return { mode: p.mode === 'enforce' ? 'enforce' : 'testing', mx: p.mx, id, lines: p.lines };
}
