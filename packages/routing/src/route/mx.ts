/**
 * MX resolution of a domain (RFC 5321 §5.1), as data: the ordered MX hosts with their preferences
 * and addresses, or the failure that stops delivery. `petrel route explain` prints this; route
 * resolution flattens it into RouteHosts.
 */
import type { ReplyData } from '@petrel/core';
import type { CachingResolver } from '../dns/caching-resolver.js';
import type { MxRecordData } from '../dns/dns-client.js';
import { isNullMx } from '../dns/dns-client.js';
import { ROUTING_REPLIES } from '../replies.js';
import { resolveHostAddresses, type Family, type ResolvedAddress } from './addresses.js';

export interface MxHostExplained {
  readonly name: string;
  readonly preference: number;
  /** Empty when the name resolved to nothing reachable: the host is skipped. */
  readonly addresses: readonly ResolvedAddress[];
  /** Seconds the host's addresses may be cached (their DNS TTL), when known. */
  readonly ttl?: number;
}

export type MxFailureReason = 'null-mx' | 'nxdomain' | 'dns-error' | 'no-mx-or-a' | 'no-valid-hosts';

export interface MxExplanation {
  readonly domain: string;
  /** True when the domain has no MX records and its own address stands in (RFC 5321 §5.1). */
  readonly implicit: boolean;
  /** In the order to try: preference, random among equals. */
  readonly hosts: readonly MxHostExplained[];
  readonly failure?: {
    readonly reason: MxFailureReason;
    readonly permanent: boolean;
    readonly reply: ReplyData;
    /** The DNS error behind a transient failure, for logs. */
    readonly detail?: string;
  };
}

export interface ExplainMxOptions {
  /** Address families to resolve, in order (see familiesFor). */
  readonly families: readonly Family[];
  /** [0, 1) source for ordering equal preferences; default Math.random. */
  readonly random?: () => number;
}

/** Resolves a domain's MX hosts and their addresses. Never throws for DNS failures. */
export async function explainMx(
  dns: CachingResolver,
  domain: string,
  options: ExplainMxOptions,
): Promise<MxExplanation> {
  const random = options.random ?? Math.random;
  const mx = await dns.mx(domain);
  switch (mx.kind) {
    case 'nxdomain':
      return fail(domain, 'nxdomain', false, ROUTING_REPLIES.domainLookupFailed, true);
    case 'error':
      return fail(domain, 'dns-error', false, ROUTING_REPLIES.noMxOrA, false, mx.error.message);
    case 'nodata':
      return implicitMx(dns, domain, options.families);
    case 'records':
      break;
    default: {
      const never: never = mx;
      return never;
    }
  }
  // RFC 7505 §3: null MX = the domain accepts no mail; the sender fails it without any attempt.
  if (isNullMx(mx.records)) return fail(domain, 'null-mx', false, ROUTING_REPLIES.nullMx, true);
  // A "." among real MXs is a misconfiguration (RFC 7505 §3 forbids mixing); ignore that record.
  const real = mx.records.filter((r) => r.exchange !== '' && r.exchange !== '.');
  const ordered = orderByPreference(real, random);
  const resolved = await Promise.all(ordered.map((r) => resolveHostAddresses(dns, r.exchange, options.families)));
  const hosts = ordered.map((r, i) => ({
    name: r.exchange.toLowerCase(),
    preference: r.priority,
    addresses: resolved[i]!.addresses,
    ...ttlOf(resolved[i]!.ttlMs),
  }));
  // node's resolveMx gives no TTL: keep the MX answer no longer than its hosts' addresses.
  const ttlMs = Math.min(...resolved.map((h) => h.ttlMs));
  if (Number.isFinite(ttlMs)) dns.capMxTtl(domain, ttlMs);
  // RFC 5321 §5.1: when MX records exist, the domain's own A record is never used instead.
  if (hosts.every((h) => h.addresses.length === 0)) {
    return {
      domain,
      implicit: false,
      hosts,
      failure: { reason: 'no-valid-hosts', permanent: false, reply: ROUTING_REPLIES.noValidHosts },
    };
  }
  return { domain, implicit: false, hosts };
}

/** RFC 5321 §5.1: no MX records → the domain itself is the single host, with preference 0. */
async function implicitMx(dns: CachingResolver, domain: string, families: readonly Family[]): Promise<MxExplanation> {
  const own = await resolveHostAddresses(dns, domain, families);
  const hosts = [{ name: domain, preference: 0, addresses: own.addresses, ...ttlOf(own.ttlMs) }];
  if (own.addresses.length === 0) {
    const detail = own.transient ? 'address lookup failed' : 'no MX and no address records';
    return {
      domain,
      implicit: true,
      hosts,
      failure: { reason: 'no-mx-or-a', permanent: false, reply: ROUTING_REPLIES.noMxOrA, detail },
    };
  }
  return { domain, implicit: true, hosts };
}

/** RFC 5321 §5.1: ascending preference; hosts of equal preference in random order to spread load. */
export function orderByPreference(records: readonly MxRecordData[], random: () => number): MxRecordData[] {
  const shuffled = [...records];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  // Array.prototype.sort is stable (ES2019), so the shuffle survives among equal preferences.
  return shuffled.sort((a, b) => a.priority - b.priority);
}

/** The TTL field of an explained host, in whole seconds, when the answer had one. */
function ttlOf(ttlMs: number): { ttl?: number } {
  return Number.isFinite(ttlMs) && ttlMs > 0 ? { ttl: Math.round(ttlMs / 1000) } : {};
}

function fail(
  domain: string,
  reason: MxFailureReason,
  implicit: boolean,
  reply: ReplyData,
  permanent: boolean,
  detail?: string,
): MxExplanation {
  return {
    domain,
    implicit,
    hosts: [],
    failure: { reason, permanent, reply, ...(detail !== undefined ? { detail } : {}) },
  };
}
