/**
 * DNS answers for routing with a TTL-aware, bounded cache in front of a DnsClient.
 * - Addresses live for their record TTL (the smallest in the answer set, RFC 2181 §5.2).
 * - MX answers: node's resolveMx reports no TTL, so an MX set lives at most MX_TTL_MS (300 s) and
 *   route resolution caps it to its hosts' address TTL (capMxTtl), so a change is seen within
 *   min(300 s, address TTL).
 * - Negative answers (NXDOMAIN, NODATA, null MX) live NEGATIVE_TTL_MS (RFC 2308 negative caching;
 *   node gives no SOA minimum, so a fixed short time).
 * - Transient failures (SERVFAIL, timeout, refused) are never cached: the next lookup asks again.
 * Concurrent lookups of the same name and type share one query.
 */
import { PetrelError } from '@petrel/core';
import { isNullMx, type AddressRecordData, type DnsClient, type MxRecordData } from './dns-client.js';
import { TtlLruCache } from './lru-cache.js';

export const MX_TTL_MS = 300_000;
export const NEGATIVE_TTL_MS = 60_000;
const MAX_TTL_MS = 86_400_000;

/** One lookup's outcome, as data: records, NODATA, NXDOMAIN or a transient error. */
export type DnsAnswer<T> =
  /** At least one record. */
  | { readonly kind: 'records'; readonly records: readonly T[] }
  /** The name exists but has no record of this type (ENODATA, or an empty answer). */
  | { readonly kind: 'nodata' }
  /** The name does not exist (NXDOMAIN). */
  | { readonly kind: 'nxdomain' }
  /** A transient failure: SERVFAIL, timeout, refused, … */
  | { readonly kind: 'error'; readonly error: PetrelError };

export interface CachingResolverOptions {
  readonly client: DnsClient;
  /** Epoch ms; the service clock. */
  readonly now: () => number;
  /** Cache bound, all record types together; default 10,000. */
  readonly maxEntries?: number;
}

type RecordType = 'MX' | 'A' | 'AAAA';

/** MX and address lookups through a DnsClient, cached as the file comment describes; never throws for DNS failures. */
export class CachingResolver {
  private readonly cache: TtlLruCache<string, DnsAnswer<unknown>>;
  private readonly inflight = new Map<string, Promise<DnsAnswer<unknown>>>();
  private readonly client: DnsClient;
  /** Lookups answered from the cache or an in-flight query / sent to the client. */
  readonly stats = { hits: 0, misses: 0 };

  constructor(options: CachingResolverOptions) {
    this.client = options.client;
    this.cache = new TtlLruCache(options.maxEntries ?? 10_000, options.now);
  }

  mx(domain: string): Promise<DnsAnswer<MxRecordData>> {
    return this.lookup(
      'MX',
      domain,
      (n) => this.client.resolveMx(n),
      (records) => (isNullMx(records) ? NEGATIVE_TTL_MS : MX_TTL_MS),
    );
  }

  addresses(name: string, family: 4 | 6): Promise<DnsAnswer<AddressRecordData>> {
    const query = family === 4 ? (n: string) => this.client.resolve4(n) : (n: string) => this.client.resolve6(n);
    return this.lookup(family === 4 ? 'A' : 'AAAA', name, query, addressTtlMs);
  }

  /** Shortens the cached MX answer of a domain to ttlMs (see the file comment). */
  capMxTtl(domain: string, ttlMs: number): void {
    this.cache.cap(cacheKey('MX', domain), ttlMs);
  }

  clear(): void {
    this.cache.clear();
  }

  private lookup<T>(
    type: RecordType,
    name: string,
    query: (name: string) => Promise<readonly T[]>,
    ttlOf: (records: readonly T[]) => number,
  ): Promise<DnsAnswer<T>> {
    const key = cacheKey(type, name);
    const cached = this.cache.get(key) ?? this.inflight.get(key);
    if (cached !== undefined) {
      this.stats.hits++;
      return Promise.resolve(cached as DnsAnswer<T> | Promise<DnsAnswer<T>>);
    }
    this.stats.misses++;
    const p = this.query(type, normalise(name), query).then((answer) => {
      this.inflight.delete(key);
      if (answer.kind === 'records') this.cache.set(key, answer, ttlOf(answer.records));
      else if (answer.kind !== 'error') this.cache.set(key, answer, NEGATIVE_TTL_MS);
      return answer;
    });
    this.inflight.set(key, p);
    return p;
  }

  private async query<T>(
    type: RecordType,
    name: string,
    query: (name: string) => Promise<readonly T[]>,
  ): Promise<DnsAnswer<T>> {
    try {
      const records = await query(name);
      return records.length > 0 ? { kind: 'records', records } : { kind: 'nodata' };
    } catch (err) {
      const code = (err as { code?: unknown } | null)?.code;
      if (code === 'ENOTFOUND') return { kind: 'nxdomain' };
      if (code === 'ENODATA') return { kind: 'nodata' };
      const error = new PetrelError(
        'PETREL_ERR_DNS',
        `DNS ${type} lookup of ${name} failed: ${typeof code === 'string' ? code : String(err)}`,
        { name, type, code },
        { cause: err },
      );
      return { kind: 'error', error };
    }
  }
}

function normalise(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

function cacheKey(type: RecordType, name: string): string {
  return `${type} ${normalise(name)}`;
}

function addressTtlMs(records: readonly AddressRecordData[]): number {
  let min = Infinity;
  for (const r of records) min = Math.min(min, r.ttl);
  return Math.min(min * 1000, MAX_TTL_MS);
}
