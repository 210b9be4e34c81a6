/**
 * DANE for SMTP (RFC 7672): whether a destination's MX hosts publish usable TLSA records, as the
 * validating resolver vouches for them (the AD bit; Postfix's smtp_dns_support_level = dnssec).
 * - The MX RRset must be secure (§2.2.1): an insecure MX answer means no DANE for the domain.
 * - `_25._tcp.<mx host>` TLSA (§3): a secure set with a usable record (DANE-TA(2)/DANE-EE(3),
 *   selector 0/1, matching type 0/1/2 with the right digest length) → TLS mandatory and
 *   authenticated by it; a secure set with none usable → mandatory unauthenticated TLS (§2.2);
 *   an insecure answer or a secure denial → no DANE for the host; a failed lookup (SERVFAIL,
 *   timeout: a bogus or unreachable signed zone) → the host is not used (§2.2: never downgrade).
 * Answers are cached for their TTL (failures are not), so a connection costs no query when warm.
 */
import type { HostDane, TlsaRecordData } from '@petrel/core';
import { TtlLruCache } from '../dns/lru-cache.js';
import { TYPE_MX, TYPE_TLSA, type SecureAnswer } from '../dns/dnssec-client.js';

/** Cache bounds: answers at most an hour, negative ones a minute (RFC 2308 style, no SOA here). */
const MAX_TTL_MS = 3_600_000;
const NEGATIVE_TTL_MS = 60_000;

export interface DaneResolverOptions {
  /** A DO-bit query through the configured resolver (dnssec-client.ts); rejects when nobody answered. */
  readonly query: (name: string, type: number) => Promise<SecureAnswer>;
  readonly now: () => number;
  readonly maxEntries?: number;
}

export class DaneResolver {
  private readonly cache: TtlLruCache<string, boolean | HostDane | null>;
  /** Queries sent / answered from the cache. */
  readonly stats = { queries: 0, hits: 0 };

  constructor(private readonly options: DaneResolverOptions) {
    this.cache = new TtlLruCache(options.maxEntries ?? 10_000, options.now);
  }

  /** §2.2.1: the domain's MX answer (or its NODATA, for an implicit MX) was validated. */
  async mxSecure(domain: string): Promise<boolean> {
    const key = `MX ${domain}`;
    const hit = this.cache.get(key);
    if (typeof hit === 'boolean') {
      this.stats.hits++;
      return hit;
    }
    this.stats.queries++;
    let answer: SecureAnswer;
    try {
      answer = await this.options.query(domain, TYPE_MX);
    } catch {
      return false;
    }
    const secure = answer.rcode === 0 && answer.ad;
    this.cache.set(key, secure, answer.answers.length > 0 ? ttlMs(answer) : NEGATIVE_TTL_MS);
    return secure;
  }

  /** The DANE state of one MX host; undefined when DANE does not apply to it. */
  async host(name: string): Promise<HostDane | undefined> {
    const key = `TLSA ${name}`;
    const hit = this.cache.get(key);
    if (hit !== undefined && typeof hit !== 'boolean') {
      this.stats.hits++;
      return hit ?? undefined;
    }
    this.stats.queries++;
    let answer: SecureAnswer;
    try {
      answer = await this.options.query(`_25._tcp.${name}`, TYPE_TLSA);
    } catch (err) {
      return { kind: 'failure', reason: `TLSA lookup of ${name} failed: ${(err as Error).message}` };
    }
    // NXDOMAIN, or NOERROR: a denial or records. Anything else (SERVFAIL for bogus data) is a failure.
    if (answer.rcode !== 0 && answer.rcode !== 3)
      return { kind: 'failure', reason: `TLSA lookup of ${name} failed: RCODE ${answer.rcode}` };
    const records = answer.answers.filter((r) => r.type === TYPE_TLSA).map(parseTlsa);
    if (!answer.ad || records.length === 0) {
      this.cache.set(key, null, NEGATIVE_TTL_MS);
      return undefined;
    }
    const usable = records.filter(isUsable);
    const dane: HostDane = usable.length > 0 ? { kind: 'tlsa', records: usable } : { kind: 'unusable', records };
    this.cache.set(key, dane, ttlMs(answer));
    return dane;
  }
}

/** RFC 6698 §2.1: usage, selector, matching type (one octet each), then the association data. */
export function parseTlsa(r: { readonly data: Buffer }): TlsaRecordData {
  const d = r.data;
  return {
    usage: d.readUInt8(0),
    selector: d.readUInt8(1),
    matchingType: d.readUInt8(2),
    data: d.subarray(3).toString('hex'),
  };
}

/** RFC 7672 §3.1: only DANE-TA(2) and DANE-EE(3) are for SMTP; PKIX-TA/EE (0/1) are unusable. */
export function isUsable(r: TlsaRecordData): boolean {
  if (r.usage !== 2 && r.usage !== 3) return false;
  if (r.selector !== 0 && r.selector !== 1) return false;
  const bytes = r.data.length / 2;
  switch (r.matchingType) {
    case 0:
      return bytes > 0;
    case 1:
      return bytes === 32;
    case 2:
      return bytes === 64;
    default:
      return false;
  }
}

function ttlMs(a: SecureAnswer): number {
  let min = Infinity;
  for (const r of a.answers) min = Math.min(min, r.ttl);
  return Number.isFinite(min) ? Math.min(min * 1000, MAX_TTL_MS) : NEGATIVE_TTL_MS;
}
