/**
 * The answer to `routing.route`: where and how a (binding, domain) is delivered. Configured
 * `routes` (ordered entries that may include `__mx__`) or a gateway win over MX (Momentum: "in d
 * the domain's MXs are ignored"); otherwise the MX hosts. The loader lets a (binding, domain) have
 * only one of routes and gateway: the one of the narrower scope (config/route-entries.ts).
 * Port, EHLO name and source address come from the destination policy of the scopes.
 */
import { isIP } from 'node:net';
import {
  NetworkList,
  type DeliveryOptions,
  type HostDane,
  type PetrelConfig,
  type Route,
  type RouteHost,
} from '@petrel/core';
import { parseRouteEntries } from '../config/route-entries.js';
import type { CachingResolver } from '../dns/caching-resolver.js';
import { ROUTING_REPLIES, loopsBackReply } from '../replies.js';
import { familiesFor, type Family } from './addresses.js';
import { explainGateway, type GatewayHostExplained } from './gateway.js';
import { explainMx, type MxExplanation } from './mx.js';
import { explainRoutes, routesFailure, routesHosts, type RouteEntryExplained } from './routes.js';
import type { SelfAddresses } from './self-addresses.js';
import type { MtaStsDiscovery, MtaStsResolver } from '../tls/mta-sts.js';
import type { DaneResolver } from '../tls/dane.js';

/**
 * A RouteHost that carries its own port: gateway entries may name different ports, and core's
 * RouteHost has no port field yet (Route.port is the first host's port).
 */
export interface RoutedHost extends RouteHost {
  readonly port: number;
}

export interface RouteExplanation {
  readonly binding: string;
  readonly domain: string;
  readonly bindAddress?: string;
  readonly ehloName: string;
  readonly port: number;
  /** Where the hosts came from. */
  readonly source: 'routes' | 'gateway' | 'mx' | 'address-literal';
  /** The routes entries in the order tried (pref applied), each with its hosts or failure. */
  readonly routes?: readonly RouteEntryExplained[];
  readonly gateway?: readonly GatewayHostExplained[];
  readonly mx?: MxExplanation;
  /** Addresses dropped by prohibited_hosts. */
  readonly prohibited: readonly string[];
  /** "address:port" targets dropped because they are Petrel's own listener (mail loop). */
  readonly self: readonly string[];
  readonly route: Route;
}

export interface RouteResolverOptions {
  readonly config: PetrelConfig;
  readonly dns: CachingResolver;
  /** [0, 1) source for ordering equal MX preferences; default Math.random. */
  readonly random?: () => number;
  /** Petrel's own listener addresses: hosts there are skipped (RFC 5321 §6.3); default none. */
  readonly self?: SelfAddresses;
  /** MTA-STS discovery (RFC 8461) for MX routes of domains with `mta_sts = "on"`; default none. */
  readonly mtaSts?: MtaStsResolver;
  /** DANE TLSA lookups (RFC 7672) for MX hosts of domains with `dane = "on"`; default none. */
  readonly dane?: DaneResolver;
}

/** Resolves and explains routes for (binding, domain) pairs from the config and the cached DNS. */
export class RouteResolver {
  constructor(private readonly options: RouteResolverOptions) {}

  async route(binding: string, domain: string): Promise<Route> {
    return (await this.explain(binding, domain)).route;
  }

  /** The route with how it was reached: routes entries, gateway entries or MX hosts, preferences and addresses. */
  async explain(binding: string, domain: string): Promise<RouteExplanation> {
    const { config, dns } = this.options;
    const d = domain.toLowerCase().replace(/\.$/, '');
    const policy = config.delivery.policy(binding, d);
    const bindAddress = config.delivery.binding(binding)?.bindAddress;
    const families = familiesFor(bindAddress, { useIpv6: policy.use_ipv6, preferIpv6: policy.prefer_ipv6 });
    const prohibitedList = this.prohibitedList(policy.prohibited_hosts);
    const prohibited: string[] = [];
    const self: string[] = [];
    const base = {
      binding,
      domain: d,
      ...(bindAddress !== undefined ? { bindAddress } : {}),
      ehloName: ehloName(policy.ehlo_hostname, config.hostname),
      port: policy.remote_port,
    };
    const hostsRoute = (all: readonly RoutedHost[], gateway: boolean): Route => {
      if (all.length === 0) return { kind: 'failure', permanent: false, reply: ROUTING_REPLIES.noValidHosts };
      const hosts = all.filter((h) => {
        const bad = prohibitedList?.has(h.address) ?? false;
        if (bad) prohibited.push(h.address);
        return !bad;
      });
      // Every host is one we must never deliver to: no attempt, and no retry will help.
      if (hosts.length === 0) return { kind: 'failure', permanent: true, reply: ROUTING_REPLIES.prohibitedHost };
      // RFC 5321 §6.3: delivering to our own listener would accept the message again as a new
      // one, without end. Such hosts are skipped; when none is left the mail loops and bounces
      // (permanent, as Postfix does; docs/decisions.md).
      const others = this.options.self ? hosts.filter((h) => !this.options.self!.has(h.address, h.port)) : hosts;
      if (others.length < hosts.length)
        for (const h of hosts)
          if (!others.includes(h)) self.push(h.family === 6 ? `[${h.address}]:${h.port}` : `${h.address}:${h.port}`);
      if (others.length === 0) return { kind: 'failure', permanent: true, reply: loopsBackReply(d) };
      const auth = gateway ? gatewayAuth(policy) : undefined;
      return {
        kind: 'hosts',
        hosts: orderFamilies(others, families),
        port: others[0]!.port,
        ehloName: base.ehloName,
        gateway,
        ...(bindAddress !== undefined ? { bindAddress } : {}),
        ...(auth ? { auth } : {}),
      };
    };

    const literal = addressLiteral(d);
    const mxOptions = { families, ...(this.options.random ? { random: this.options.random } : {}) };
    if (policy.routes.length > 0) {
      // __mx__ of an address-literal domain is the literal itself (there is nothing to look up).
      const mxOf = (name: string): Promise<MxExplanation> =>
        name === d && literal ? Promise.resolve(literalMx(d, literal, families)) : explainMx(dns, name, mxOptions);
      const routes = await explainRoutes(dns, parseRouteEntries(policy.routes), {
        domain: d,
        defaultPort: policy.remote_port,
        families,
        mxOf,
      });
      const hosts = routesHosts(routes);
      if (hosts.length === 0) {
        const f = routesFailure(routes);
        return {
          ...base,
          source: 'routes',
          routes,
          prohibited,
          self,
          route: { kind: 'failure', permanent: f.permanent, reply: f.reply },
        };
      }
      return { ...base, source: 'routes', routes, prohibited, self, route: hostsRoute(hosts, false) };
    }

    if (policy.gateway.length > 0) {
      const gateway = await explainGateway(dns, policy.gateway, policy.remote_port, families);
      const hosts = gateway.flatMap((g) =>
        g.addresses.map((a) => ({
          name: g.name,
          address: a.address,
          family: a.family,
          preference: g.preference,
          port: g.port,
        })),
      );
      const route = hostsRoute(hosts, true);
      return { ...base, source: 'gateway', gateway, prohibited, self, route };
    }

    if (literal) {
      const hosts = families.includes(literal.family)
        ? [{ name: d, ...literal, preference: 0, port: policy.remote_port }]
        : [];
      const route = hostsRoute(hosts, false);
      return { ...base, source: 'address-literal', prohibited, self, route };
    }

    // RFC 8461 applies to MX delivery: discovery runs beside the MX lookup (cached per domain).
    const sts = policy.mta_sts === 'on' ? this.options.mtaSts?.discover(d) : undefined;
    const mx = await explainMx(dns, d, mxOptions);
    const discovery = sts !== undefined ? await sts : undefined;
    if (mx.failure)
      return {
        ...base,
        source: 'mx',
        mx,
        prohibited,
        self,
        route: { kind: 'failure', permanent: mx.failure.permanent, reply: mx.failure.reply },
      };
    const dane = policy.dane === 'on' ? await this.daneOf(d, mx) : undefined;
    const hosts = mx.hosts.flatMap((h) =>
      h.addresses.map((a) => ({
        name: h.name,
        address: a.address,
        family: a.family,
        preference: h.preference,
        port: policy.remote_port,
        ...(dane?.get(h.name) ? { dane: dane.get(h.name)! } : {}),
      })),
    );
    const route = withMtaSts(hostsRoute(hosts, false), discovery);
    return { ...base, source: 'mx', mx, prohibited, self, route };
  }

  /** RFC 7672 §2.2: the DANE state of each MX host, when the domain's MX answer is DNSSEC-secure. */
  private async daneOf(domain: string, mx: MxExplanation): Promise<Map<string, HostDane> | undefined> {
    const dane = this.options.dane;
    if (!dane || !(await dane.mxSecure(domain))) return undefined;
    const names = mx.hosts.filter((h) => h.addresses.length > 0).map((h) => h.name);
    const states = await Promise.all(names.map((n) => dane.host(n)));
    const out = new Map<string, HostDane>();
    names.forEach((n, i) => {
      const s = states[i];
      if (s) out.set(n, s);
    });
    return out;
  }

  private readonly prohibitedLists = new Map<readonly string[], NetworkList>();

  /** prohibited_hosts as a NetworkList, built once per distinct option value (scopes share arrays). */
  private prohibitedList(cidrs: readonly string[]): NetworkList | undefined {
    if (cidrs.length === 0) return undefined;
    let list = this.prohibitedLists.get(cidrs);
    if (!list) {
      list = new NetworkList(cidrs.map((c) => (c.includes('/') ? c : `${c}/${c.includes(':') ? 128 : 32}`)));
      this.prohibitedLists.set(cidrs, list);
    }
    return list;
  }
}

/** The route with its MTA-STS policy and discovery failure, when discovery found either. */
function withMtaSts(route: Route, discovery: MtaStsDiscovery | undefined): Route {
  if (route.kind !== 'hosts' || !discovery || (!discovery.policy && !discovery.failure)) return route;
  return {
    ...route,
    ...(discovery.policy ? { mtaSts: discovery.policy } : {}),
    ...(discovery.failure ? { mtaStsFailure: discovery.failure } : {}),
  };
}

/** RFC 4954 credentials for a gateway route, when both user and password are configured. */
function gatewayAuth(policy: DeliveryOptions): { user: string; pass: string } | undefined {
  const user = policy.gateway_auth_user;
  const pass = policy.gateway_auth_password;
  return user !== undefined && pass !== undefined ? { user, pass } : undefined;
}

/**
 * Within one preference level, addresses of the preferred family first (Momentum prefer_ipv6_mxs);
 * levels keep their order and hosts of one family keep theirs (the sort is stable).
 */
function orderFamilies(hosts: readonly RoutedHost[], families: readonly Family[]): RoutedHost[] {
  if (families.length < 2) return [...hosts];
  const rank = (h: RoutedHost): number => families.indexOf(h.family);
  const levels: RoutedHost[][] = [];
  for (const h of hosts) {
    const last = levels[levels.length - 1];
    if (last && last[0]!.preference === h.preference) last.push(h);
    else levels.push([h]);
  }
  return levels.flatMap((l) => [...l].sort((a, b) => rank(a) - rank(b)));
}

/**
 * Momentum's ehlo_hostname: "__hostname__" is this MTA's hostname. "__message__" (the sender's
 * domain) needs a message, which a (binding, domain) route does not have: it stays in the route
 * and outbound replaces it when a connection opens (see EHLO_FROM_SENDER).
 */
export function ehloName(value: string, hostname: string): string {
  return value === '__hostname__' ? hostname : value;
}

/** An address-literal domain as an MX explanation: the literal is its one host. */
function literalMx(
  domain: string,
  literal: { address: string; family: Family },
  families: readonly Family[],
): MxExplanation {
  const addresses = families.includes(literal.family) ? [literal] : [];
  const hosts = [{ name: domain, preference: 0, addresses }];
  return addresses.length
    ? { domain, implicit: true, hosts }
    : {
        domain,
        implicit: true,
        hosts,
        failure: { reason: 'no-valid-hosts', permanent: false, reply: ROUTING_REPLIES.noValidHosts },
      };
}

/** RFC 5321 §4.1.3 address literals: "[192.0.2.1]" and "[IPv6:2001:db8::1]" name the host directly. */
function addressLiteral(domain: string): { address: string; family: Family } | undefined {
  const m = /^\[(?:ipv6:)?([^\]]+)\]$/i.exec(domain);
  if (!m) return undefined;
  const family = isIP(m[1]!);
  const v6Tagged = /^\[ipv6:/i.test(domain);
  if (family === 4 && !v6Tagged) return { address: m[1]!, family: 4 };
  if (family === 6 && v6Tagged) return { address: m[1]!, family: 6 };
  return undefined;
}
