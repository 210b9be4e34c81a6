/**
 * Momentum's `routes` option: an ordered list of next hops that replaces the plain MX lookup.
 * `__mx__` expands to the recipient domain's MX hosts (explainMx: implicit MX, null MX, …), a
 * `type=mx` entry to the MX hosts of the name it gives, any other entry to its host's A/AAAA
 * addresses (an IP literal as is). Entries are stably sorted by `pref` (none = 0), so listed
 * order holds among equals. One entry that yields nothing is skipped; only when all do is the
 * route a failure. The entries were validated at config load (core's route-entries).
 */
import { isIP } from 'node:net';
import type { ReplyData } from '@petrel/core';
import type { RouteEntry } from '../config/route-entries.js';
import type { CachingResolver } from '../dns/caching-resolver.js';
import { ROUTING_REPLIES } from '../replies.js';
import { resolveHostAddresses, type Family } from './addresses.js';
import type { MxExplanation, MxHostExplained } from './mx.js';

export interface RouteEntryFailure {
  readonly permanent: boolean;
  readonly reply: ReplyData;
  readonly detail?: string;
}

export interface RouteEntryExplained {
  /** The entry as configured. */
  readonly entry: string;
  /** `domain-mx`: `__mx__`; `mx`: a type=mx entry; `a`: a host name or IP literal. */
  readonly kind: 'domain-mx' | 'mx' | 'a';
  /** The host (kind a) or the domain whose MX hosts are used. */
  readonly name: string;
  readonly port: number;
  readonly pref?: number;
  /** Hosts in the order to try, with their MX preference (0 for a kind-a entry) and addresses. */
  readonly hosts: readonly MxHostExplained[];
  /** True when an MX entry fell back to the domain's own address (RFC 5321 §5.1). */
  readonly implicit?: boolean;
  /** Why the entry yields no address; the route fails only when every entry has one. */
  readonly failure?: RouteEntryFailure;
}

export interface ExplainRoutesOptions {
  /** The recipient domain, for `__mx__`. */
  readonly domain: string;
  /** remote_port, for entries without a port. */
  readonly defaultPort: number;
  /** Address families the binding can reach, in order (see familiesFor). */
  readonly families: readonly Family[];
  /** MX resolution of a domain (explainMx with the resolver's options). */
  readonly mxOf: (domain: string) => Promise<MxExplanation>;
}

/** Each entry, in the order to try, with the hosts and addresses it yields. Never throws for DNS failures. */
export async function explainRoutes(
  dns: CachingResolver,
  entries: readonly RouteEntry[],
  o: ExplainRoutesOptions,
): Promise<RouteEntryExplained[]> {
  // Array.prototype.sort is stable (ES2019): entries of equal pref keep their listed order.
  const ordered = [...entries].sort((a, b) => prefOf(a) - prefOf(b));
  return Promise.all(ordered.map((e) => explainEntry(dns, e, o)));
}

async function explainEntry(
  dns: CachingResolver,
  e: RouteEntry,
  o: ExplainRoutesOptions,
): Promise<RouteEntryExplained> {
  if (e.kind === 'domain-mx' || e.type === 'mx') {
    const name = e.kind === 'domain-mx' ? o.domain : e.host;
    const mx = await o.mxOf(name);
    const failure = mx.failure
      ? {
          permanent: mx.failure.permanent,
          reply: mx.failure.reply,
          ...(mx.failure.detail !== undefined ? { detail: mx.failure.detail } : {}),
        }
      : undefined;
    return {
      entry: e.text,
      kind: e.kind === 'domain-mx' ? 'domain-mx' : 'mx',
      name,
      port: (e.kind === 'host' ? e.port : undefined) ?? o.defaultPort,
      ...(e.kind === 'host' && e.pref !== undefined ? { pref: e.pref } : {}),
      hosts: mx.hosts,
      ...(mx.implicit ? { implicit: true } : {}),
      ...(failure ? { failure } : {}),
    };
  }
  const base = {
    entry: e.text,
    kind: 'a' as const,
    name: e.host,
    port: e.port ?? o.defaultPort,
    ...(e.pref !== undefined ? { pref: e.pref } : {}),
  };
  const literal = isIP(e.host);
  if (literal !== 0) {
    const family = literal as Family;
    const addresses = o.families.includes(family) ? [{ address: e.host, family }] : [];
    const failure = addresses.length
      ? undefined
      : {
          permanent: false,
          reply: ROUTING_REPLIES.noValidHosts,
          detail: `IPv${family} address, and the binding cannot reach IPv${family}`,
        };
    return { ...base, hosts: [{ name: e.host, preference: 0, addresses }], ...(failure ? { failure } : {}) };
  }
  const resolved = await resolveHostAddresses(dns, e.host, o.families);
  // Like a gateway name that does not resolve: transient, the name may appear (or DNS recover).
  const failure = resolved.addresses.length
    ? undefined
    : {
        permanent: false,
        reply: ROUTING_REPLIES.noValidHosts,
        detail: resolved.transient ? 'address lookup failed' : 'no address records',
      };
  return {
    ...base,
    hosts: [{ name: e.host, preference: 0, addresses: resolved.addresses }],
    ...(failure ? { failure } : {}),
  };
}

function prefOf(e: RouteEntry): number {
  return e.kind === 'host' ? (e.pref ?? 0) : 0;
}

/** A host the route tries, with its own port. */
export interface RoutesHost {
  readonly name: string;
  readonly address: string;
  readonly family: Family;
  /** Position of its level: one per entry and MX preference, so levels never merge across entries. */
  readonly preference: number;
  readonly port: number;
}

/**
 * The entries flattened into the hosts to try. An address and port already listed by an earlier
 * entry (`smtp://mx1…` and `__mx__`) is tried once, at its first place.
 */
export function routesHosts(explained: readonly RouteEntryExplained[]): RoutesHost[] {
  const out: RoutesHost[] = [];
  const seen = new Set<string>();
  let level = -1;
  for (const e of explained) {
    let lastPreference: number | undefined;
    for (const h of e.hosts) {
      if (h.preference !== lastPreference) level++;
      lastPreference = h.preference;
      for (const a of h.addresses) {
        const key = `${a.address} ${e.port}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ name: h.name, address: a.address, family: a.family, preference: level, port: e.port });
      }
    }
  }
  return out;
}

/**
 * The failure of a route whose entries all yield nothing: permanent only when every entry failed
 * permanently (a single `__mx__` then fails as the MX lookup would), else the first transient one.
 */
export function routesFailure(explained: readonly RouteEntryExplained[]): RouteEntryFailure {
  const failures = explained.flatMap((e) => (e.failure ? [e.failure] : []));
  const transient = failures.find((f) => !f.permanent);
  if (transient || failures.length < explained.length || failures.length === 0)
    return transient ?? { permanent: false, reply: ROUTING_REPLIES.noValidHosts };
  return failures[0]!;
}
