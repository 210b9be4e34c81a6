/**
 * Momentum's `routes` option as data: an ordered list of `"__mx__"` (the recipient domain's own MX
 * hosts) and `"smtp://HOST[:PORT][?pref=N&port=N&ttl=N&type=mx|a]"` entries. Parsed here once so
 * that the loader can refuse a bad entry with its key path and routing reads the same structure.
 *
 * `routes` and `gateway` both replace the MX lookup, so one table may not set both; across scopes
 * the narrower scope wins: a table that sets one of them clears the other for its scope
 * (docs/decisions.md, Routing).
 */
import { isIP } from 'node:net';
import type { ConfigContext, ConfigExtension, OptionTableEnv } from '@petrel/core';

/** The routes entry that stands for the recipient domain's MX hosts. */
export const ROUTES_DOMAIN_MX = '__mx__';

export type RouteEntry =
  | {
      /** `__mx__`: the recipient domain's MX hosts (implicit MX, null MX and all). */
      readonly kind: 'domain-mx';
      readonly text: string;
    }
  | {
      readonly kind: 'host';
      readonly text: string;
      /** Lower-cased host name, or an IP address (IPv6 without brackets). */
      readonly host: string;
      /** `a`: the host's own addresses (an IP literal is used as is); `mx`: the host's MX hosts. */
      readonly type: 'a' | 'mx';
      /** Overrides remote_port for this entry. */
      readonly port?: number;
      /** Entries are stably sorted by pref; an entry without pref counts as 0. */
      readonly pref?: number;
      /** Accepted for Momentum compatibility; Petrel re-reads routes on every resolution. */
      readonly ttl?: number;
    };

export const ROUTE_ENTRY_FORM = '"__mx__" or "smtp://host[:port][?pref=N&port=N&ttl=N&type=mx|a]"';

const HOST_NAME =
  /^(?=.{1,253}\.?$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$/i;
const PARAMS = ['pref', 'port', 'ttl', 'type'] as const;
type Param = (typeof PARAMS)[number];

/** One entry, or why it is not one (a phrase for "expected …, found "x" (why)"). */
export function parseRouteEntry(text: string): { entry: RouteEntry } | { error: string } {
  if (text === ROUTES_DOMAIN_MX) return { entry: { kind: 'domain-mx', text } };
  if (/^smtp:\/\/[^[/?#]*:[^/?#]*:/i.test(text))
    return { error: 'an IPv6 address must be in brackets: smtp://[2001:db8::1]' };
  const m = /^smtp:\/\/(\[[^\]]*\]|[^/?#:[\]]*)(?::([^/?#]*))?\/?(?:\?(.*))?$/i.exec(text);
  if (!m) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text) && !/^smtp:/i.test(text))
      return { error: 'only the smtp:// scheme is supported' };
    return { error: 'not a route entry' };
  }
  const rawHost = m[1]!;
  let host: string;
  if (rawHost.startsWith('[')) {
    host = rawHost.slice(1, -1);
    if (isIP(host) !== 6) return { error: `${rawHost} is not an IPv6 address` };
  } else if (isIP(rawHost) === 4 || HOST_NAME.test(rawHost)) {
    host = rawHost.toLowerCase().replace(/\.$/, '');
  } else {
    return { error: rawHost === '' ? 'no host' : `${JSON.stringify(rawHost)} is not a host name or an IP address` };
  }
  const params: Partial<Record<Param, string>> = {};
  for (const part of m[3] === undefined || m[3] === '' ? [] : m[3].split('&')) {
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).toLowerCase();
    if (!(PARAMS as readonly string[]).includes(key))
      return { error: `unknown parameter ${JSON.stringify(key)} (known: ${PARAMS.join(', ')})` };
    if (params[key as Param] !== undefined) return { error: `parameter ${key} given twice` };
    if (eq < 0) return { error: `parameter ${key} has no value` };
    params[key as Param] = part.slice(eq + 1);
  }
  if (m[2] !== undefined) {
    if (params.port !== undefined) return { error: 'port given twice (host:port and ?port=)' };
    params.port = m[2];
  }
  const int = (name: Param, min: number, max: number): number | string | undefined => {
    const v = params[name];
    if (v === undefined) return undefined;
    const n = /^\d{1,10}$/.test(v) ? Number(v) : NaN;
    return Number.isInteger(n) && n >= min && n <= max
      ? n
      : `${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(v)}`;
  };
  const port = int('port', 1, 65_535);
  const pref = int('pref', 0, 65_535);
  const ttl = int('ttl', 0, 2_147_483_647);
  for (const v of [port, pref, ttl]) if (typeof v === 'string') return { error: v };
  const type = (params.type ?? 'a').toLowerCase();
  if (type !== 'a' && type !== 'mx') return { error: `type must be "mx" or "a", not ${JSON.stringify(params.type)}` };
  if (type === 'mx' && isIP(host) !== 0)
    return { error: 'type=mx needs a domain name: an IP address has no MX records' };
  return {
    entry: {
      kind: 'host',
      text,
      host,
      type,
      ...(port !== undefined ? { port: port as number } : {}),
      ...(pref !== undefined ? { pref: pref as number } : {}),
      ...(ttl !== undefined ? { ttl: ttl as number } : {}),
    },
  };
}

/** Parsed entries of a list the loader accepted; malformed entries (impossible after load) are dropped. */
export function parseRouteEntries(texts: readonly string[]): RouteEntry[] {
  return texts.flatMap((t) => {
    const r = parseRouteEntry(t);
    return 'entry' in r ? [r.entry] : [];
  });
}

/**
 * Load-time checks of one option table: every routes entry well formed, and not both routes and
 * gateway. A table that sets one of the two (non-empty) gets the other set to [] so that the
 * scope resolver lets the narrower scope win: `routes` in [domain."x"] overrides a [global]
 * gateway for x, and a binding's gateway overrides [global] routes.
 */
export function checkRoutesTable(v: ConfigContext, path: readonly string[], options: Record<string, unknown>): void {
  const routes = options.routes as readonly string[] | undefined;
  const gateway = options.gateway as readonly string[] | undefined;
  routes?.forEach((text, i) => {
    const r = parseRouteEntry(text);
    if ('error' in r)
      v.fail(
        [...path, 'routes'],
        `expected entries ${ROUTE_ENTRY_FORM}, found ${JSON.stringify(text)} at position ${i + 1} (${r.error})`,
      );
  });
  const hasRoutes = routes !== undefined && routes.length > 0;
  const hasGateway = gateway !== undefined && gateway.length > 0;
  if (hasRoutes && hasGateway) {
    v.fail(
      [...path, 'routes'],
      'expected routes or gateway, found both in one table ' +
        '(write the smart hosts as "smtp://host?port=N" routes entries, or drop routes)',
    );
    return;
  }
  if (hasRoutes) options.gateway = [];
  if (hasGateway) options.routes = [];
}

/** The `routes` slot of the loader (core's ConfigExtensions.routes), called for every delivery option table. */
export const routesExtension: ConfigExtension<void, OptionTableEnv> = {
  validate: (_raw, ctx, env) => checkRoutesTable(ctx, env.path, env.options),
};
