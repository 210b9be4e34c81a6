/**
 * The control API's routes: each maps an HTTP call to a bus request or an app action.
 * Every route answers JSON; the CLI (`petrel …`) is its main client.
 */
import {
  DEFAULT_BINDING,
  PetrelError,
  SmtpReply,
  parseRate,
  type Bus,
  type PetrelConfig,
  type QueueCount,
  type QueueSelector,
} from '@petrel/core';
import type { Counters } from './counters.js';
import { HttpError, bool, num, onlyFields, str } from './http-util.js';
import { messageTrace } from './message-trace.js';
import { SUPPRESSION_ROUTES } from './suppression-routes.js';

/** What the app lets the control API do to the daemon itself. */
export interface ControlActions {
  stop(): Promise<void>;
  reopenLogs(): Promise<void> | void;
  /** Re-reads the config file; returns what changed live and what needs a restart. */
  reloadConfig(): Promise<{ readonly applied: readonly string[]; readonly restartRequired: readonly string[] }>;
}

export interface RouteContext {
  readonly bus: Bus;
  readonly config: PetrelConfig;
  readonly counters: Counters;
  readonly actions: ControlActions;
  readonly configFile: string;
}

export interface Route {
  readonly method: 'GET' | 'POST';
  /** Path with `:param` segments. */
  readonly path: string;
  handle(ctx: RouteContext, input: Record<string, unknown>, params: Record<string, string>): Promise<unknown>;
}

const SELECTOR = ['binding', 'domain', 'messageId'] as const;

function selector(input: Record<string, unknown>): QueueSelector {
  const binding = str(input, 'binding');
  const domain = str(input, 'domain')?.toLowerCase();
  const messageId = str(input, 'messageId');
  return { ...(binding ? { binding } : {}), ...(domain ? { domain } : {}), ...(messageId ? { messageId } : {}) };
}

/**
 * Momentum's `summary` as data (counts and seconds); the CLI renders the Momentum field names and
 * rates. Refused connections are apart from Rejected Messages (see counters.ts).
 */
export interface SummaryData {
  readonly outboundConcurrency: number;
  readonly inboundConcurrency: number;
  readonly activeDomains: number;
  readonly activeQueue: number;
  readonly delayedQueue: number;
  readonly totalQueue: number;
  readonly delivered: number;
  readonly failed: number;
  readonly rejected: number;
  readonly rejectedConnections: number;
  readonly received: number;
  /** Seconds since the counters were last reset (at least 1, so rates are defined). */
  readonly sinceReset: number;
  /** Seconds since the daemon started. */
  readonly uptime: number;
}

async function summary(ctx: RouteContext): Promise<SummaryData> {
  const [counts, outbound, listener] = await Promise.all([
    ctx.bus.request('queue.counts', {}),
    ctx.bus.request('outbound.stats', {}),
    ctx.bus.request('listener.stats', {}),
  ]);
  const active = counts.reduce((n, c) => n + c.active + c.inFlight, 0);
  const delayed = counts.reduce((n, c) => n + c.delayed, 0);
  const t = ctx.counters.totals;
  return {
    outboundConcurrency: outbound.connections,
    inboundConcurrency: typeof listener.connections === 'number' ? listener.connections : 0,
    activeDomains: new Set(counts.filter((c) => c.active + c.inFlight > 0).map((c) => c.domain)).size,
    activeQueue: active,
    delayedQueue: delayed,
    totalQueue: active + delayed,
    delivered: t.delivered,
    failed: t.failed,
    rejected: t.rejected,
    rejectedConnections: t.rejectedConnections,
    received: t.received,
    sinceReset: ctx.counters.sinceReset(),
    uptime: ctx.counters.uptime(),
  };
}

/** Momentum's `binding summary` for one binding, as data. */
export interface BindingSummaryData {
  readonly binding: string;
  readonly group: string;
  readonly openConnections: number;
  readonly activeQueue: number;
  readonly totalQueue: number;
  readonly delivered: number;
  readonly failed: number;
  /** Recipients routed to the binding. */
  readonly received: number;
  readonly sinceReset: number;
  readonly uptime: number;
}

/** Momentum's `binding summary`: per binding counters, queue sizes and open connections. */
async function bindingSummary(ctx: RouteContext, filter: string | undefined): Promise<BindingSummaryData[]> {
  const [counts, outbound] = await Promise.all([
    ctx.bus.request('queue.counts', {}),
    ctx.bus.request('outbound.stats', {}),
  ]);
  const names = [...ctx.config.scopes.bindings.values()].filter(
    (b) => !filter || (filter.startsWith('group:') ? b.group === filter.slice(6) : b.name === filter),
  );
  if (filter && names.length === 0) throw new HttpError(404, 'NOT_FOUND', `no binding or group matches "${filter}"`);
  return names.map((b) => {
    const c = ctx.counters.binding(b.name);
    const q = counts.filter((x) => x.binding === b.name);
    const active = q.reduce((n, x) => n + x.active + x.inFlight, 0);
    return {
      binding: b.name,
      group: b.group,
      openConnections: outbound.pools.filter((p) => p.binding === b.name).reduce((n, p) => n + p.open, 0),
      activeQueue: active,
      totalQueue: active + q.reduce((n, x) => n + x.delayed, 0),
      delivered: c.delivered,
      failed: c.failed,
      received: c.received,
      sinceReset: ctx.counters.sinceReset(),
      uptime: ctx.counters.uptime(),
    };
  });
}

/** Momentum's `domain <name>`: routes per binding, queues, pools and open connections of one domain. */
async function domainDetails(ctx: RouteContext, domain: string) {
  const [counts, stats] = await Promise.all([
    ctx.bus.request('queue.counts', { domain }),
    ctx.bus.request('outbound.stats', {}),
  ]);
  const open = stats.pools.filter((p) => p.domain === domain);
  const bindings = [...new Set([DEFAULT_BINDING, ...counts.map((c) => c.binding), ...open.map((p) => p.binding)])];
  const routes = await Promise.all(
    bindings.map(async (binding) => ({ binding, ...(await ctx.bus.request('routing.explain', { binding, domain })) })),
  );
  return {
    domain,
    routes,
    queues: counts,
    connections: open,
    sessions: stats.sessions.filter((x) => x.domain === domain),
  };
}

/** What `GET /v1/domains/:domain` returns. */
export type DomainData = Awaited<ReturnType<typeof domainDetails>>;

/** Queue counts with the open outbound connections of each (binding, domain) (mailq's C column). */
async function queueWithConnections(
  ctx: RouteContext,
  sel: ReturnType<typeof selector>,
): Promise<(QueueCount & { connections: number })[]> {
  const [counts, stats] = await Promise.all([
    ctx.bus.request('queue.counts', sel),
    ctx.bus.request('outbound.stats', {}),
  ]);
  const byKey = new Map(stats.pools.map((p) => [`${p.binding}\0${p.domain}`, p.open]));
  return counts.map((c) => ({ ...c, connections: byKey.get(`${c.binding}\0${c.domain}`) ?? 0 }));
}

export const ROUTES: readonly Route[] = [
  ...SUPPRESSION_ROUTES,
  {
    method: 'GET',
    path: '/v1/status',
    handle: async (ctx) => ({
      pid: process.pid,
      uptime: Math.floor(ctx.counters.uptime()),
      node: process.version,
      config: ctx.configFile,
    }),
  },
  { method: 'GET', path: '/v1/summary', handle: (ctx) => summary(ctx) },
  { method: 'GET', path: '/v1/bindings', handle: (ctx, input) => bindingSummary(ctx, str(input, 'binding')) },
  {
    method: 'GET',
    path: '/v1/domains/:domain',
    handle: (ctx, _input, p) => domainDetails(ctx, p.domain!.toLowerCase()),
  },
  {
    method: 'GET',
    path: '/v1/messages/:id/trace',
    handle: (ctx, _input, p) => messageTrace(ctx.bus, ctx.config, p.id!),
  },
  {
    // RFC 8460 JSON report of one domain for one UTC day (`petrel tls report`); the event log owns the counters.
    method: 'GET',
    path: '/v1/tls/report',
    handle: (ctx, input) => {
      const domain = str(input, 'domain');
      if (!domain) throw new HttpError(400, 'BAD_FIELD', 'tls report needs a domain');
      const date = str(input, 'date') ?? new Date().toISOString().slice(0, 10);
      if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new HttpError(400, 'BAD_FIELD', 'date: expected YYYY-MM-DD');
      return ctx.bus.request('tls.report', { domain: domain.toLowerCase(), date });
    },
  },
  {
    method: 'POST',
    path: '/v1/summary/reset',
    handle: async (ctx) => {
      ctx.counters.reset();
      return { reset: true };
    },
  },
  { method: 'GET', path: '/v1/queue', handle: (ctx, input) => queueWithConnections(ctx, selector(input)) },
  {
    method: 'GET',
    path: '/v1/queue/shape',
    handle: (ctx, input) => {
      // Age bounds in ms, comma-separated, ascending (the CLI sends qshape's buckets).
      const bounds = (str(input, 'bounds') ?? '')
        .split(',')
        .filter((b) => b !== '')
        .map(Number);
      if (bounds.some((b, i) => !Number.isFinite(b) || b < 0 || (i > 0 && b <= bounds[i - 1]!)))
        throw new HttpError(400, 'BAD_FIELD', 'bounds: expected ascending numbers of milliseconds');
      return ctx.bus.request('queue.shape', { ...selector(input), bounds });
    },
  },
  {
    method: 'GET',
    path: '/v1/queue/jobs',
    handle: (ctx, input) => {
      const limit = num(input, 'limit');
      const offset = num(input, 'offset');
      return ctx.bus.request('queue.jobs', {
        ...selector(input),
        ...(limit !== undefined ? { limit } : {}),
        ...(offset !== undefined ? { offset } : {}),
      });
    },
  },
  { method: 'GET', path: '/v1/suspensions', handle: (ctx) => ctx.bus.request('queue.suspensions', {}) },
  { method: 'GET', path: '/v1/sites', handle: (ctx) => ctx.bus.request('queue.sites', {}) },
  { method: 'GET', path: '/v1/shaping', handle: (ctx) => ctx.bus.request('shaping.list', {}) },
  {
    method: 'POST',
    path: '/v1/shaping',
    handle: (ctx, input) => {
      onlyFields(input, ['kind', 'scope', 'binding', 'domain', 'site', 'durationMs', 'rate', 'connections', 'cause']);
      const kind = str(input, 'kind');
      const scope = str(input, 'scope');
      if (kind !== 'suspend' && kind !== 'throttle' && kind !== 'max_connections')
        throw new HttpError(400, 'BAD_FIELD', 'kind: expected suspend, throttle or max_connections');
      if (scope !== 'binding+domain' && scope !== 'domain' && scope !== 'binding' && scope !== 'site')
        throw new HttpError(400, 'BAD_FIELD', 'scope: expected binding+domain, domain, binding or site');
      const rateText = str(input, 'rate');
      const rate = rateText !== undefined ? parseRate(rateText) : undefined;
      if (rateText !== undefined && rate === undefined)
        throw new HttpError(400, 'BAD_FIELD', 'rate: expected "N/period" such as "10/60"');
      const optional = {
        binding: str(input, 'binding'),
        domain: str(input, 'domain'),
        site: str(input, 'site'),
        durationMs: num(input, 'durationMs'),
        connections: num(input, 'connections'),
        cause: str(input, 'cause'),
        rate,
      };
      const defined = Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined));
      return ctx.bus.request('shaping.set', { kind, scope, source: 'operator', ...defined });
    },
  },
  {
    method: 'POST',
    path: '/v1/shaping/clear',
    handle: (ctx, input) => {
      onlyFields(input, ['id']);
      const id = str(input, 'id');
      if (!id) throw new HttpError(400, 'BAD_FIELD', 'clear needs the id of a state (petrel shaping lists them)');
      return ctx.bus.request('shaping.clear', { id });
    },
  },
  {
    method: 'GET',
    path: '/v1/cluster',
    handle: (ctx) => {
      // A node without [cluster] has no cluster service: say so plainly rather than 503.
      if (!ctx.bus.hasHandler('cluster.status'))
        throw new PetrelError('PETREL_ERR_CLUSTER_OFF', 'this node has no [cluster] redis in its configuration', {});
      return ctx.bus.request('cluster.status', {});
    },
  },
  {
    method: 'POST',
    path: '/v1/suspend',
    handle: (ctx, input) => {
      onlyFields(input, [...SELECTOR, 'durationMs', 'reason']);
      const sel = selector(input);
      if (!sel.binding && !sel.domain)
        throw new HttpError(400, 'BAD_FIELD', 'suspend needs a domain, a binding, or both');
      const durationMs = num(input, 'durationMs');
      const reason = str(input, 'reason');
      return ctx.bus.request('queue.suspend', {
        ...sel,
        ...(durationMs !== undefined ? { durationMs } : {}),
        ...(reason ? { reason } : {}),
      });
    },
  },
  {
    method: 'POST',
    path: '/v1/resume',
    handle: (ctx, input) => {
      onlyFields(input, SELECTOR);
      return ctx.bus.request('queue.resume', selector(input));
    },
  },
  {
    method: 'POST',
    path: '/v1/flush',
    handle: (ctx, input) => {
      onlyFields(input, SELECTOR);
      return ctx.bus.request('queue.flush', selector(input));
    },
  },
  {
    method: 'POST',
    path: '/v1/fail',
    handle: (ctx, input) => {
      onlyFields(input, [...SELECTOR, 'quiet', 'dryRun', 'reply', 'limit']);
      const sel = selector(input);
      if (!sel.binding && !sel.domain && !sel.messageId)
        throw new HttpError(400, 'BAD_FIELD', 'fail needs a domain, a binding or a message id');
      const note = str(input, 'reply');
      const limit = num(input, 'limit');
      return ctx.bus.request('queue.fail', {
        ...sel,
        quiet: bool(input, 'quiet'),
        dryRun: bool(input, 'dryRun'),
        ...(note ? { reply: SmtpReply.parse(note) } : {}),
        ...(limit ? { limit } : {}),
      });
    },
  },
  {
    method: 'POST',
    path: '/v1/reroute',
    handle: (ctx, input) => {
      onlyFields(input, ['from', 'to', 'dryRun', 'limit']);
      const from = str(input, 'from');
      const to = str(input, 'to');
      if (!from || !to) throw new HttpError(400, 'BAD_FIELD', 'reroute needs from and to domains');
      const limit = num(input, 'limit');
      return ctx.bus.request('queue.reroute', {
        from: from.toLowerCase(),
        to: to.toLowerCase(),
        dryRun: bool(input, 'dryRun'),
        ...(limit ? { limit } : {}),
      });
    },
  },
  {
    method: 'POST',
    path: '/v1/rebind',
    handle: (ctx, input) => {
      onlyFields(input, ['binding', 'domain']);
      const binding = str(input, 'binding') ?? 'all';
      const domain = str(input, 'domain');
      return ctx.bus.request('queue.rebind', { binding, ...(domain ? { domain: domain.toLowerCase() } : {}) });
    },
  },
  {
    method: 'GET',
    path: '/v1/messages/:id',
    handle: async (ctx, _input, p) => {
      const d = await ctx.bus.request('spool.message', { id: p.id! });
      if (!d) throw new HttpError(404, 'NOT_FOUND', `message ${p.id} is not in the spool`);
      const queued = await ctx.bus.request('queue.jobs', { messageId: p.id! });
      return { ...d, queued };
    },
  },
  {
    method: 'POST',
    path: '/v1/messages/:id/retry',
    handle: (ctx, _i, p) => ctx.bus.request('queue.flush', { messageId: p.id! }),
  },
  {
    method: 'POST',
    path: '/v1/messages/:id/fail',
    handle: (ctx, input, p) => {
      onlyFields(input, ['quiet']);
      return ctx.bus.request('queue.fail', {
        messageId: p.id!,
        quiet: bool(input, 'quiet'),
        reply: SmtpReply.parse('554 5.7.0 [internal] Message manually failed'),
      });
    },
  },
  {
    method: 'POST',
    path: '/v1/log/reopen',
    handle: async (ctx) => {
      await ctx.actions.reopenLogs();
      return { reopened: true };
    },
  },
  { method: 'POST', path: '/v1/config/reload', handle: (ctx) => ctx.actions.reloadConfig() },
  {
    method: 'POST',
    path: '/v1/stop',
    handle: async (ctx) => {
      // Answer first: stopping closes this very server.
      setImmediate(() => void ctx.actions.stop());
      return { stopping: true };
    },
  },
];

/** Finds the route for a method and path; returns the path parameters. */
export function matchRoute(method: string, path: string): { route: Route; params: Record<string, string> } | undefined {
  const parts = path.split('/').filter(Boolean);
  for (const route of ROUTES) {
    if (route.method !== method) continue;
    const want = route.path.split('/').filter(Boolean);
    if (want.length !== parts.length) continue;
    const params: Record<string, string> = {};
    const matches = want.every((w, i) => {
      if (!w.startsWith(':')) return w === parts[i];
      params[w.slice(1)] = decodeURIComponent(parts[i]!);
      return true;
    });
    if (matches) return { route, params };
  }
  return undefined;
}
