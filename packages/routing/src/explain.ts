/**
 * `petrel route explain`: for one recipient (and sender), the binding assignment with the rule
 * that decided, the route (MX hosts with preferences and addresses, or gateway entries), and every
 * delivery option in force with the scope that supplied it. Works without a running daemon.
 */
import {
  DELIVERY_OPTIONS,
  ManualClock,
  type DeliveryOptionName,
  type MessageEnvelope,
  type PetrelConfig,
} from '@petrel/core';
import { Assigner } from './assign/assigner.js';
import { rulesFromConfig } from './assign/config-rules.js';
import { CachingResolver } from './dns/caching-resolver.js';
import { createDnsClient, type DnsClient } from './dns/dns-client.js';
import { RouteResolver, type RouteExplanation } from './route/route-resolver.js';
import { SelfAddresses } from './route/self-addresses.js';

export interface RecipientExplanation {
  readonly recipient: string;
  readonly sender: string;
  readonly domain: string;
  readonly binding: string;
  readonly bindingGroup: string;
  /** The rule that matched, or "default". */
  readonly rule: string;
  readonly route: RouteExplanation;
  /** Every delivery option for (binding, domain): value and scope. Secrets are masked. */
  readonly options: Readonly<Record<string, { readonly value: unknown; readonly scope: string }>>;
}

export interface ExplainRecipientOptions {
  readonly recipient: string;
  readonly sender?: string;
  /** Client address / AUTH user for client_network and auth_user rules. */
  readonly client?: MessageEnvelope['client'];
  /** Header values for header rules. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly dns?: DnsClient;
}

/** Runs assignment and route resolution for one recipient as the daemon would (group picks are random). */
export async function explainRecipient(
  config: PetrelConfig,
  o: ExplainRecipientOptions,
): Promise<RecipientExplanation> {
  const at = o.recipient.lastIndexOf('@');
  const domain = (at < 0 ? o.recipient : o.recipient.slice(at + 1)).toLowerCase();
  const sender = o.sender ?? '';
  const envelope: MessageEnvelope = {
    id: 'explain',
    sender,
    recipients: [{ address: o.recipient, domain }],
    receivedAt: 0,
    size: 0,
    protocol: 'esmtp',
    ...(o.client ? { client: o.client } : {}),
  };
  const assigner = new Assigner({
    scopes: config.delivery,
    rules: rulesFromConfig(config),
    weightOf: (b) => config.bindingWeights.get(b) ?? 1,
  });
  const headers = o.headers ? new Map(Object.entries(o.headers).map(([k, v]) => [k.toLowerCase(), v])) : undefined;
  const a = assigner.assign({
    envelope,
    domain,
    ...(headers ? { header: (n: string) => headers.get(n.toLowerCase()) } : {}),
  });
  const clock = new ManualClock(Date.now());
  const dns = new CachingResolver({ client: o.dns ?? createDnsClient(config.dns), now: () => clock.now() });
  // The listener addresses of this config: the route skips them as the daemon does (mail loop).
  const route = await new RouteResolver({ config, dns, self: new SelfAddresses(config.listener.listen) }).explain(
    a.binding,
    domain,
  );
  const options: Record<string, { value: unknown; scope: string }> = {};
  for (const name of Object.keys(DELIVERY_OPTIONS) as DeliveryOptionName[]) {
    const e = config.delivery.explain(name, a.binding, domain);
    options[name] = {
      value: name === 'gateway_auth_password' && e.value !== undefined ? '********' : e.value,
      scope: e.scope,
    };
  }
  return {
    recipient: o.recipient,
    sender,
    domain,
    binding: a.binding,
    bindingGroup: a.group,
    rule: a.reason,
    route: maskRoute(route),
    options,
  };
}

/** The route as printed: AUTH password masked. */
function maskRoute(r: RouteExplanation): RouteExplanation {
  if (r.route.kind !== 'hosts' || !r.route.auth) return r;
  return { ...r, route: { ...r.route, auth: { user: r.route.auth.user, pass: '********' } } };
}
