/**
 * The routing service (ARCHITECTURE.md "One message's way", step 3): turns `message.spooled` into
 * `message.routed` delivery jobs, answers `routing.route` with the MX or gateway hosts of a
 * (binding, domain), and `routing.assign` (rebind) by re-running assignment for a queued job.
 */
import {
  PetrelError,
  siteOf,
  type DeliveryJob,
  type MessageEnvelope,
  type MessageSpooled,
  type PetrelConfig,
  type Route,
  type RouteRequest,
  type Service,
  type ServiceContext,
} from '@petrel/core';
import { Assigner, type Assignment } from './assign/assigner.js';
import { BINDING_HEADERS, rulesFromConfig, rulesNeedHeaders } from './assign/config-rules.js';
import { headerBlock, headerValue } from './assign/headers.js';
import type { AssignmentRule } from './assign/rules.js';
import type { BindingTarget, SetBindingHook, SetBindingSource } from './assign/policy-binding.js';
import { CachingResolver } from './dns/caching-resolver.js';
import { createDnsClient, type DnsClient } from './dns/dns-client.js';
import { buildJobs } from './jobs.js';
import { checkSecretsReadable } from './secrets.js';
import { RouteResolver, type RouteExplanation } from './route/route-resolver.js';
import { SelfAddresses } from './route/self-addresses.js';
import { createDaneResolver, createMtaStsResolver } from './tls/discovery.js';
import type { DaneResolver } from './tls/dane.js';
import type { MtaStsResolver } from './tls/mta-sts.js';

export interface RoutingServiceOptions {
  /** DNS client; default: node:dns on the [dns] servers of the config. */
  readonly dns?: DnsClient;
  /** Assignment rules, first match wins; default the config's [[binding_rule]] list. */
  readonly rules?: readonly AssignmentRule[];
  /** [0, 1) random source for MX order among equals and group picks; default Math.random. */
  readonly random?: () => number;
  /** DNS cache bound; default 10,000 entries. */
  readonly dnsCacheEntries?: number;
  /** The setBinding policy hook point (assign/policy-binding.ts), asked once per message. */
  readonly setBinding?: SetBindingSource;
}

/** What routing derives from one config; rebuilt when a reload swaps the config. */
interface Derived {
  readonly config: PetrelConfig;
  readonly routes: RouteResolver;
  readonly assigner: Assigner;
  /** Header rules exist: read each message's header block and strip the binding headers. */
  readonly readsHeaders: boolean;
}

/** The routing service: `message.spooled` → `message.routed`, and the `routing.route` / `routing.assign` handlers. */
/** Domains whose site is remembered (to publish `routing.site` only on news) before the map starts over. */
const MAX_KNOWN_SITES = 100_000;

export class RoutingService implements Service {
  readonly name = 'routing';
  private readonly resolver: CachingResolver;
  /**
   * Petrel's own listeners, from the config at start: the listener binds its sockets once (a
   * reload reports [listener] as needing a restart), so these are the addresses it listens on.
   */
  private readonly self: SelfAddresses;
  private derivedState: Derived;
  private readonly unsubscribe: (() => void)[] = [];
  /** domain → the site last published on `routing.site`. */
  private readonly sites = new Map<string, string>();
  private readonly setBinding: SetBindingSource | undefined;
  /** MTA-STS discovery and its policy cache: kept across reloads (the cache is per destination, not per config). */
  private readonly mtaSts: MtaStsResolver | undefined;
  /** DANE TLSA lookups with the AD bit; only with the default DNS client (a test's fake client has no wire). */
  private readonly dane: DaneResolver | undefined;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly options: RoutingServiceOptions = {},
  ) {
    const clock = ctx.clock;
    const client = options.dns ?? createDnsClient(ctx.config.dns);
    this.resolver = new CachingResolver({
      client,
      now: () => clock.now(),
      ...(options.dnsCacheEntries !== undefined ? { maxEntries: options.dnsCacheEntries } : {}),
    });
    this.mtaSts = createMtaStsResolver({
      client,
      dns: this.resolver,
      config: () => ctx.config,
      now: () => clock.now(),
      logger: ctx.logger,
    });
    this.dane = options.dns ? undefined : createDaneResolver({ config: () => ctx.config, now: () => clock.now() });
    this.self = new SelfAddresses(ctx.config.listener.listen);
    this.derivedState = this.derive(ctx.config);
    this.setBinding = options.setBinding;
  }

  /**
   * The route resolver, assigner and header flag of the current config. `petrel config reload`
   * swaps ctx.config; everything built from the old one (routes, gateway, bindings, groups,
   * binding rules and weights) is rebuilt on first use after it, so "applied" is true at once.
   */
  private get derived(): Derived {
    const config = this.ctx.config;
    if (this.derivedState.config !== config) this.derivedState = this.derive(config);
    return this.derivedState;
  }

  private derive(config: PetrelConfig): Derived {
    const random = this.options.random ? { random: this.options.random } : {};
    const weights = config.bindingWeights ?? new Map<string, number>();
    return {
      config,
      routes: new RouteResolver({
        config,
        dns: this.resolver,
        self: this.self,
        ...random,
        ...(this.mtaSts ? { mtaSts: this.mtaSts } : {}),
        ...(this.dane ? { dane: this.dane } : {}),
      }),
      assigner: new Assigner({
        scopes: config.delivery,
        rules: this.options.rules ?? rulesFromConfig(config),
        weightOf: (b) => weights.get(b) ?? 1,
        ...random,
      }),
      readsHeaders: rulesNeedHeaders(config),
    };
  }

  async start(): Promise<void> {
    if (this.unsubscribe.length > 0)
      throw new PetrelError('PETREL_ERR_SERVICE_STATE', 'routing service already started', { service: this.name });
    const warning = checkSecretsReadable(this.ctx.config);
    if (warning) this.ctx.logger.warn({ file: this.ctx.config.source }, warning);
    this.unsubscribe.push(
      this.ctx.bus.subscribe('message.spooled', (event) => this.onSpooled(event)),
      this.ctx.bus.handle('routing.route', (req) => this.route(req)),
      this.ctx.bus.handle('routing.assign', ({ job }) => this.reassign(job)),
      // The explanation is plain data; the bus type is the JSON view of it.
      this.ctx.bus.handle('routing.explain', async (req) => ({
        ...(await this.explainRoute(req.binding, req.domain)),
      })),
    );
  }

  async stop(): Promise<void> {
    // Nothing in flight to hand back: a message being routed publishes its jobs or nothing.
    while (this.unsubscribe.length > 0) this.unsubscribe.pop()!();
  }

  /**
   * The route of a (binding, domain); DNS failures come back as `kind: 'failure'` routes. A hosts
   * route carries its MX rollup site (core siteOf: its host names), and the queue hears of a
   * domain's site on `routing.site` when it is new or changed (docs/shaping.md "Sites").
   */
  async route(req: RouteRequest): Promise<Route> {
    const route = await this.derived.routes.route(req.binding, req.domain);
    if (route.kind !== 'hosts') return route;
    const site = siteOf(route.hosts.map((h) => h.name));
    const domain = req.domain.toLowerCase();
    if (this.sites.get(domain) !== site) {
      // Bounded: a route cache of one-off domains must not grow this map without end.
      if (this.sites.size >= MAX_KNOWN_SITES) this.sites.clear();
      this.sites.set(domain, site);
      this.ctx.bus.publish('routing.site', { domain, site, hosts: route.hosts.map((h) => h.name) });
    }
    return { ...route, site };
  }

  /** The route and how it was reached (gateway entries or MX hosts with preferences and addresses). */
  explainRoute(binding: string, domain: string): Promise<RouteExplanation> {
    return this.derived.routes.explain(binding, domain);
  }

  /** DNS cache counters, for metrics. */
  get dnsStats(): { readonly hits: number; readonly misses: number } {
    return { ...this.resolver.stats };
  }

  /** Re-runs assignment for a queued job (Momentum ec_message_reassess_binding_slot). */
  async reassign(job: DeliveryJob): Promise<{ binding: string; bindingGroup: string }> {
    const envelope: MessageEnvelope = {
      id: job.messageId,
      sender: job.sender,
      recipients: job.recipients,
      receivedAt: job.receivedAt,
      size: job.size,
      protocol: 'esmtp',
      ...(job.client !== undefined ? { client: job.client } : {}),
    };
    const header = await this.headersOf(job.messageId);
    const hook = this.setBinding?.();
    const chosen = hook
      ? await this.policyAssignment(
          hook,
          envelope,
          job.domain,
          job.recipients.map((r) => r.address),
        )
      : undefined;
    const a = chosen ?? this.derived.assigner.assign({ envelope, domain: job.domain, ...(header ? { header } : {}) });
    return { binding: a.binding, bindingGroup: a.group };
  }

  private onSpooled(event: MessageSpooled): void | Promise<void> {
    const hook = this.setBinding?.();
    if (hook) return this.policySpooled(event, hook);
    if (!this.derived.readsHeaders) return this.publishJobs(event);
    return this.headersOf(event.envelope.id).then((header) => this.publishJobs(event, header));
  }

  /** setBinding hook: one call per recipient domain, then the jobs; a domain without an answer gets the rules. */
  private async policySpooled(event: MessageSpooled, hook: SetBindingHook): Promise<void> {
    const { envelope } = event;
    const header = this.derived.readsHeaders ? await this.headersOf(envelope.id) : undefined;
    const byDomain = new Map<string, string[]>();
    for (const r of envelope.recipients) byDomain.set(r.domain, [...(byDomain.get(r.domain) ?? []), r.address]);
    const chosen = new Map<string, Assignment>();
    for (const [domain, recipients] of byDomain) {
      const a = await this.policyAssignment(hook, envelope, domain, recipients);
      if (a) chosen.set(domain, a);
    }
    this.publishJobs(event, header, chosen);
  }

  private async policyAssignment(
    hook: SetBindingHook,
    envelope: MessageEnvelope,
    domain: string,
    recipients: readonly string[],
  ): Promise<Assignment | undefined> {
    const t: BindingTarget | undefined = await hook(envelope, domain, recipients).catch(() => undefined);
    if (!t) return undefined;
    const target =
      'binding' in t ? { kind: 'binding' as const, name: t.binding } : { kind: 'group' as const, name: t.bindingGroup };
    return this.derived.assigner.assignTarget(target, domain, 'policy setBinding');
  }

  /** A header reader over the message's header block, or undefined when no rule needs one or the body is gone. */
  private async headersOf(messageId: string): Promise<((name: string) => string | undefined) | undefined> {
    if (!this.derived.readsHeaders) return undefined;
    try {
      const block = headerBlock(await this.ctx.bus.request('spool.body', { id: messageId }));
      return (name) => headerValue(block, name);
    } catch (err) {
      // Assignment still happens, without the header rules: better a default binding than no delivery.
      this.ctx.logger.warn({ err, messageId }, 'cannot read the message headers for binding rules');
      return undefined;
    }
  }

  private publishJobs(
    event: MessageSpooled,
    header?: (name: string) => string | undefined,
    chosen?: ReadonlyMap<string, Assignment>,
  ): void {
    const { envelope } = event;
    const { assigner, readsHeaders, config } = this.derived;
    const delivery = config.delivery;
    const { jobs, invalidIndexes } = buildJobs({
      envelope,
      ...(event.pending !== undefined ? { pending: event.pending } : {}),
      assign: (domain): Assignment =>
        chosen?.get(domain) ?? assigner.assign({ envelope, domain, ...(header ? { header } : {}) }),
      batchSize: (binding, domain) => delivery.get('max_recipients_per_batch', binding, domain),
      ...(readsHeaders ? { stripHeaders: BINDING_HEADERS } : {}),
    });
    if (invalidIndexes.length > 0) {
      this.ctx.logger.warn(
        { messageId: envelope.id, indexes: invalidIndexes },
        'pending recipient index not in envelope; skipped',
      );
    }
    if (jobs.length === 0) return;
    this.ctx.bus.publish('message.routed', { envelope, jobs, recovered: event.recovered });
  }
}
