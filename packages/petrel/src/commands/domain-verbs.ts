/** `petrel domain <d>` and `petrel binding summary` (Momentum `domain`, `binding summary`). */
import type { Command } from 'commander';
import type { BindingSummaryData, DomainData } from '@petrel/control';
import type { RouteExplanation } from '@petrel/routing';
import { hostLines } from './route.js';
import { clientOptions, withClient, type ClientOptions } from './common.js';
import { momentumFields, rate } from './momentum-fields.js';
import { table } from './table.js';

/** The topic declares only part of routing's explanation; the handler (routing) returns all of it. */
type DomainView = Omit<DomainData, 'routes'> & { routes: (RouteExplanation & { binding: string })[] };

/** Momentum's `binding summary` block for one binding. */
function renderBinding(r: BindingSummaryData): string {
  return `Summary Statistics For Binding ${r.binding} (group ${r.group})\n${momentumFields([
    ['Open Connections', r.openConnections],
    ['Active Queue Size', r.activeQueue],
    ['Total Queue Size', r.totalQueue],
    ['Successfully Delivered Messages', r.delivered],
    ['Failed Messages', r.failed],
    ['Received Messages', r.received],
    ['Delivery Rate', rate(r.delivered, r.sinceReset)],
    ['Uptime', `${Math.floor(r.uptime)} seconds`],
  ])}`;
}

function renderDomain(d: DomainView): string {
  let out = `Domain: ${d.domain}\n`;
  for (const r of d.routes) {
    out += `  Binding ${r.binding}: ${r.source}${r.mx?.implicit ? ' (implicit MX)' : ''}\n`;
    for (const line of hostLines(r)) out += `  ${line}\n`;
  }
  out += table(
    ['Binding', 'Active', 'Delayed', 'In flight', 'Open conns', 'Idle', 'Goal'],
    [...new Set([...d.queues.map((q) => q.binding), ...d.connections.map((c) => c.binding)])].map((b) => {
      const q = d.queues.find((x) => x.binding === b);
      const c = d.connections.find((x) => x.binding === b);
      return [b, q?.active ?? 0, q?.delayed ?? 0, q?.inFlight ?? 0, c?.open ?? 0, c?.idle ?? 0, c?.goal ?? 0];
    }),
  );
  // Each open connection and the SMTP state it is in (Momentum's per-connection view).
  if (d.sessions.length > 0) {
    out += `Connections:\n${table(
      ['ID', 'Binding', 'Host', 'IP', 'State', 'Delivered'],
      d.sessions.map((x) => [x.id, x.binding, x.host ?? '-', x.ip ?? '-', x.state, x.deliveries]),
    )}`;
  }
  return out;
}

export function registerDomainVerbs(program: Command): void {
  clientOptions(
    program.command('domain').description('routes, queues and connections of one domain').argument('<domain>'),
  ).action((domain: string, o: ClientOptions) =>
    withClient(o, (c) => c.get<DomainView>(`/v1/domains/${encodeURIComponent(domain)}`), renderDomain),
  );
  const binding = program.command('binding').description('bindings').enablePositionalOptions();
  clientOptions(
    binding.command('summary').description('per-binding statistics').argument('[name]', 'a binding, or group:<name>'),
  ).action((name: string | undefined, o: ClientOptions) =>
    withClient(
      o,
      (c) => c.get<BindingSummaryData[]>('/v1/bindings', { binding: name }),
      (rows) => rows.map(renderBinding).join('\n'),
    ),
  );
}
