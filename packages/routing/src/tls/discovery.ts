/**
 * Wires MTA-STS discovery (and later DANE lookups) to routing's DNS, config and logger: the TXT
 * lookups go through the configured resolver, the policy host is resolved through the cached
 * resolver (never the system's), and the cache file lives in the spool directory.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import type { Logger, PetrelConfig } from '@petrel/core';
import type { CachingResolver } from '../dns/caching-resolver.js';
import type { DnsClient } from '../dns/dns-client.js';
import { MtaStsCache } from './mta-sts-cache.js';
import { fetchMtaStsPolicy } from './mta-sts-fetch.js';
import { MtaStsResolver, type TxtLookup } from './mta-sts.js';
import { DaneResolver } from './dane.js';
import { querySecure, type DnssecServer } from '../dns/dnssec-client.js';
import { Resolver } from 'node:dns';
import { parseHostPort } from '@petrel/core';

/** The cache file, in the spool directory (RFC 8461 §5.1: policies survive restarts). */
export const MTA_STS_CACHE_FILE = 'mta-sts-policies.json';

export interface DiscoveryDeps {
  readonly client: DnsClient;
  readonly dns: CachingResolver;
  /** The current config (a reload changes port, CA file and timeout). */
  readonly config: () => PetrelConfig;
  readonly now: () => number;
  readonly logger: Logger;
}

/** An MtaStsResolver on routing's DNS; undefined when the DNS client cannot look up TXT records. */
export function createMtaStsResolver(deps: DiscoveryDeps): MtaStsResolver | undefined {
  const { client, dns, logger } = deps;
  if (!client.resolveTxt) return undefined;
  const resolveTxt = client.resolveTxt.bind(client);
  const txt: TxtLookup = async (name) => {
    try {
      const records = await resolveTxt(name);
      return records.length > 0 ? records : 'none';
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      return code === 'ENOTFOUND' || code === 'ENODATA' ? 'none' : 'error';
    }
  };
  const lookup = async (name: string): Promise<{ address: string; family: 4 | 6 } | undefined> => {
    for (const family of [4, 6] as const) {
      const a = await dns.addresses(name, family);
      if (a.kind === 'records') return { address: a.records[0]!.address, family };
    }
    return undefined;
  };
  const cacheFile = join(deps.config().spool_dir, MTA_STS_CACHE_FILE);
  const cache = new MtaStsCache(cacheFile, (err, what) =>
    logger.warn({ err, file: cacheFile }, `MTA-STS policy cache: ${what} failed`),
  );
  return new MtaStsResolver({
    txt,
    cache,
    now: deps.now,
    fetch: (domain) => {
      // A config built without the loader (hand-made test contexts) may lack the section: its defaults.
      const t = deps.config().tlsPolicy ?? {
        mta_sts_port: 443,
        mta_sts_fetch_timeout: 10_000,
        mta_sts_ca_file: undefined,
      };
      const ca = extraCa(t.mta_sts_ca_file, logger);
      return fetchMtaStsPolicy(domain, {
        lookup,
        port: t.mta_sts_port,
        timeoutMs: t.mta_sts_fetch_timeout,
        ...(ca ? { ca: [...rootCertificates, ca] } : {}),
      });
    },
    onFailure: (domain, f) => logger.info({ domain, failure: f.type, detail: f.detail }, 'MTA-STS discovery failed'),
  });
}

/** The operator CA file's PEM, or undefined (unset or unreadable: logged, the root store alone is used). */
export function extraCa(file: string | undefined, logger: Logger): string | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    logger.warn({ err, file }, 'tls_policy.mta_sts_ca_file cannot be read');
    return undefined;
  }
}

/**
 * A DaneResolver asking the [dns] servers (or, with none configured, the system's) with the DO bit.
 * The server list is read from the config at each query, so a reload applies.
 */
export function createDaneResolver(deps: Pick<DiscoveryDeps, 'config' | 'now'>): DaneResolver {
  return new DaneResolver({
    now: deps.now,
    query: (name, type) => {
      const dns = deps.config().dns;
      return querySecure(dnssecServers(dns.servers), name, type, { timeoutMs: dns.timeout, tries: dns.tries });
    },
  });
}

/** "ip", "ip:port" and "[v6]:port" entries as query targets; empty = the system resolver's servers. */
export function dnssecServers(entries: readonly string[]): DnssecServer[] {
  const list = entries.length > 0 ? entries : new Resolver().getServers();
  return list.flatMap((e) => {
    const hp = parseHostPort(e, 53);
    return hp ? [{ host: hp.host, port: hp.port }] : [];
  });
}
