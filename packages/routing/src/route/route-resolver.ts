/**
 * The answer to `routing.route`: where and how a (binding, domain) is delivered. A configured
 * gateway wins over MX (Momentum: "in d the domain's MXs are ignored"); otherwise the MX hosts.
 * Port, EHLO name and source address come from the destination policy of the scopes.
 */
import { isIP } from 'node:net';
import type { PetrelConfig, Route, RouteHost } from '@petrel/core';
import type { CachingResolver } from '../dns/caching-resolver.js';
import { ROUTING_REPLIES } from '../replies.js';
import { familiesFor, type Family } from './addresses.js';
import { explainGateway, type GatewayHostExplained } from './gateway.js';
import { explainMx, type MxExplanation } from './mx.js';

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
  readonly source: 'gateway' | 'mx' | 'address-literal';
  readonly gateway?: readonly GatewayHostExplained[];
  readonly mx?: MxExplanation;
  readonly route: Route;
}

export interface RouteResolverOptions {
  readonly config: PetrelConfig;
  readonly dns: CachingResolver;
  /** [0, 1) source for ordering equal MX preferences; default Math.random. */
  readonly random?: () => number;
}

/** Resolves and explains routes for (binding, domain) pairs from the config and the cached DNS. */
export class RouteResolver {
  constructor(private readonly options: RouteResolverOptions) {}

  async route(binding: string, domain: string): Promise<Route> {
    return (await this.explain(binding, domain)).route;
  }

  /** The route with how it was reached: gateway entries or MX hosts, preferences and addresses. */
  async explain(binding: string, domain: string): Promise<RouteExplanation> {
    const { config, dns } = this.options;
    const d = domain.toLowerCase().replace(/\.$/, '');
    const policy = config.delivery.policy(binding, d);
    const bindAddress = config.delivery.binding(binding)?.bindAddress;
    const families = familiesFor(bindAddress);
    const base = {
      binding,
      domain: d,
      ...(bindAddress !== undefined ? { bindAddress } : {}),
      ehloName: ehloName(policy.ehlo_hostname, config.hostname),
      port: policy.remote_port,
    };
    const hostsRoute = (hosts: readonly RoutedHost[], gateway: boolean): Route => {
      if (hosts.length === 0) return { kind: 'failure', permanent: false, reply: ROUTING_REPLIES.noValidHosts };
      return { kind: 'hosts', hosts, port: hosts[0]!.port, ehloName: base.ehloName, gateway, ...(bindAddress !== undefined ? { bindAddress } : {}) };
    };

    if (policy.gateway.length > 0) {
      const gateway = await explainGateway(dns, policy.gateway, policy.remote_port, families);
      const hosts = gateway.flatMap((g) => g.addresses.map((a) => ({ name: g.name, address: a.address, family: a.family, preference: g.preference, port: g.port })));
      return { ...base, source: 'gateway', gateway, route: hostsRoute(hosts, true) };
    }

    const literal = addressLiteral(d);
    if (literal) {
      const hosts = families.includes(literal.family) ? [{ name: d, ...literal, preference: 0, port: policy.remote_port }] : [];
      return { ...base, source: 'address-literal', route: hostsRoute(hosts, false) };
    }

    const mx = await explainMx(dns, d, { families, ...(this.options.random ? { random: this.options.random } : {}) });
    if (mx.failure) return { ...base, source: 'mx', mx, route: { kind: 'failure', permanent: mx.failure.permanent, reply: mx.failure.reply } };
    const hosts = mx.hosts.flatMap((h) => h.addresses.map((a) => ({ name: h.name, address: a.address, family: a.family, preference: h.preference, port: policy.remote_port })));
    return { ...base, source: 'mx', mx, route: hostsRoute(hosts, false) };
  }
}

/**
 * Momentum's ehlo_hostname: "__hostname__" is this MTA's hostname. "__message__" (the sender's
 * domain) needs the message, which a (binding, domain) route does not have: hostname for now.
 */
export function ehloName(value: string, hostname: string): string {
  return value === '__hostname__' || value === '__message__' ? hostname : value;
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
