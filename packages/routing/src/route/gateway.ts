/**
 * Smart-host routes: the `gateway` option lists "host", "host:port" or "[v6]:port" entries that
 * replace the domain's MX hosts, tried in the listed order. Names resolve to A/AAAA through the
 * configured DNS; IP literals are used as they are.
 * (Momentum resolves a gateway name as MX first, then A; Petrel takes A/AAAA only for now.)
 */
import { isIP } from 'node:net';
import { parseHostPort } from '@petrel/core';
import type { CachingResolver } from '../dns/caching-resolver.js';
import { resolveHostAddresses, type Family, type ResolvedAddress } from './addresses.js';

export interface GatewayHostExplained {
  /** The entry as configured. */
  readonly entry: string;
  readonly name: string;
  readonly port: number;
  /** Position in the list: the order to try. */
  readonly preference: number;
  /** Empty when the entry is malformed, resolves to nothing, or is of a family the binding cannot reach. */
  readonly addresses: readonly ResolvedAddress[];
}

/** Each gateway entry with its port, its position and the addresses the binding can reach. */
export async function explainGateway(
  dns: CachingResolver,
  entries: readonly string[],
  defaultPort: number,
  families: readonly Family[],
): Promise<GatewayHostExplained[]> {
  return Promise.all(
    entries.map(async (entry, preference): Promise<GatewayHostExplained> => {
      const hp = parseHostPort(entry, defaultPort);
      if (!hp) return { entry, name: entry, port: defaultPort, preference, addresses: [] };
      const literal = isIP(hp.host);
      if (literal !== 0) {
        const family = literal as Family;
        const addresses = families.includes(family) ? [{ address: hp.host, family }] : [];
        return { entry, name: hp.host, port: hp.port, preference, addresses };
      }
      const resolved = await resolveHostAddresses(dns, hp.host, families);
      return { entry, name: hp.host.toLowerCase(), port: hp.port, preference, addresses: resolved.addresses };
    }),
  );
}
