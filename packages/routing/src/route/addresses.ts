/**
 * Host name → addresses for the families a binding can reach. A binding bound to an IPv4 source
 * cannot reach IPv6 hosts and vice versa, so only the matching family is queried; an unbound
 * binding queries both and tries IPv4 first.
 */
import { isIP } from 'node:net';
import type { CachingResolver } from '../dns/caching-resolver.js';

export type Family = 4 | 6;

export interface ResolvedAddress {
  readonly address: string;
  readonly family: Family;
}

export interface HostAddresses {
  readonly addresses: readonly ResolvedAddress[];
  /** Smallest TTL among the answers, ms; Infinity when nothing was cached positively. */
  readonly ttlMs: number;
  /** True when a lookup failed transiently (so "no addresses" may not be final). */
  readonly transient: boolean;
}

export interface FamilyPolicy {
  /** Momentum use_ipv6: consider AAAA hosts when the binding is not bound to one family. */
  readonly useIpv6: boolean;
  /** Momentum prefer_ipv6_mxs: IPv6 before IPv4 within a preference level. */
  readonly preferIpv6: boolean;
}

/**
 * The address families to query, in preference order. A source address fixes the family (an
 * IPv4 socket cannot reach an IPv6 host); unbound, IPv4 only unless use_ipv6 (Momentum's default);
 * without a policy, both, IPv4 first.
 */
export function familiesFor(bindAddress: string | undefined, policy?: FamilyPolicy): readonly Family[] {
  const f = bindAddress === undefined ? 0 : isIP(bindAddress);
  if (f === 4) return [4];
  if (f === 6) return [6];
  if (!policy) return [4, 6];
  if (!policy.useIpv6) return [4];
  return policy.preferIpv6 ? [6, 4] : [4, 6];
}

/** A host's addresses in family order (IPv4 first when both are allowed); failures count as none. */
export async function resolveHostAddresses(
  dns: CachingResolver,
  name: string,
  families: readonly Family[],
): Promise<HostAddresses> {
  const answers = await Promise.all(families.map((family) => dns.addresses(name, family)));
  const addresses: ResolvedAddress[] = [];
  let ttlMs = Infinity;
  let transient = false;
  answers.forEach((answer, i) => {
    const family = families[i]!;
    if (answer.kind === 'records') {
      for (const r of answer.records) {
        addresses.push({ address: r.address, family });
        ttlMs = Math.min(ttlMs, r.ttl * 1000);
      }
    } else if (answer.kind === 'error') transient = true;
  });
  return { addresses, ttlMs, transient };
}
