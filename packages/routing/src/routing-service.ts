/**
 * The routing service (ARCHITECTURE.md "One message's way", step 3): turns `message.spooled` into
 * `message.routed` delivery jobs, and answers `routing.route` with the MX or gateway hosts of a
 * (binding, domain).
 */
import { PetrelError, type MessageSpooled, type Route, type RouteRequest, type Service, type ServiceContext } from '@petrel/core';
import { Assigner } from './assign/assigner.js';
import type { AssignmentRule } from './assign/rules.js';
import { CachingResolver } from './dns/caching-resolver.js';
import { createDnsClient, type DnsClient } from './dns/dns-client.js';
import { buildJobs } from './jobs.js';
import { RouteResolver, type RouteExplanation } from './route/route-resolver.js';

export interface RoutingServiceOptions {
  /** DNS client; default: node:dns on the [dns] servers of the config. */
  readonly dns?: DnsClient;
  /** Assignment rules, first match wins; default none (everything to the default binding). */
  readonly rules?: readonly AssignmentRule[];
  /** [0, 1) random source for MX order among equals and group picks; default Math.random. */
  readonly random?: () => number;
  /** DNS cache bound; default 10,000 entries. */
  readonly dnsCacheEntries?: number;
}

/** The routing service: `message.spooled` → `message.routed`, and the `routing.route` request handler. */
export class RoutingService implements Service {
  readonly name = 'routing';
  private readonly resolver: CachingResolver;
  private readonly routes: RouteResolver;
  private readonly assigner: Assigner;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly ctx: ServiceContext,
    options: RoutingServiceOptions = {},
  ) {
    const clock = ctx.clock;
    this.resolver = new CachingResolver({
      client: options.dns ?? createDnsClient(ctx.config.dns),
      now: () => clock.now(),
      ...(options.dnsCacheEntries !== undefined ? { maxEntries: options.dnsCacheEntries } : {}),
    });
    const random = options.random ? { random: options.random } : {};
    this.routes = new RouteResolver({ config: ctx.config, dns: this.resolver, ...random });
    this.assigner = new Assigner({ scopes: ctx.config.delivery, ...(options.rules ? { rules: options.rules } : {}), ...random });
  }

  async start(): Promise<void> {
    if (this.unsubscribe.length > 0) throw new PetrelError('PETREL_ERR_SERVICE_STATE', 'routing service already started', { service: this.name });
    this.unsubscribe.push(
      this.ctx.bus.subscribe('message.spooled', (event) => this.onSpooled(event)),
      this.ctx.bus.handle('routing.route', (req) => this.route(req)),
    );
  }

  async stop(): Promise<void> {
    // Nothing in flight to hand back: routing of a spooled message is synchronous.
    while (this.unsubscribe.length > 0) this.unsubscribe.pop()!();
  }

  /** The route of a (binding, domain); DNS failures come back as `kind: 'failure'` routes. */
  route(req: RouteRequest): Promise<Route> {
    return this.routes.route(req.binding, req.domain);
  }

  /** The route and how it was reached (gateway entries or MX hosts with preferences and addresses). */
  explainRoute(binding: string, domain: string): Promise<RouteExplanation> {
    return this.routes.explain(binding, domain);
  }

  /** DNS cache counters, for metrics. */
  get dnsStats(): { readonly hits: number; readonly misses: number } {
    return { ...this.resolver.stats };
  }

  private onSpooled(event: MessageSpooled): void {
    const { envelope } = event;
    const delivery = this.ctx.config.delivery;
    const { jobs, invalidIndexes } = buildJobs({
      envelope,
      ...(event.pending !== undefined ? { pending: event.pending } : {}),
      assign: (domain) => this.assigner.assign({ envelope, domain }),
      batchSize: (binding, domain) => delivery.get('max_recipients_per_batch', binding, domain),
    });
    if (invalidIndexes.length > 0) {
      this.ctx.logger.warn({ messageId: envelope.id, indexes: invalidIndexes }, 'pending recipient index not in envelope; skipped');
    }
    if (jobs.length === 0) return;
    this.ctx.bus.publish('message.routed', { envelope, jobs, recovered: event.recovered });
  }
}
