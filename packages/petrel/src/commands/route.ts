import type { Command } from 'commander';
import { DELIVERY_OPTIONS, EHLO_FROM_SENDER, formatDuration, formatReply, type OptionSpec } from '@petrel/core';
import { explainRecipient, type RecipientExplanation, type RouteExplanation } from '@petrel/routing';
import { DEFAULT_CONFIG } from '../paths.js';
import { loadOrExit } from './common.js';

function showValue(v: unknown, spec?: OptionSpec): string {
  if (v === undefined) return 'unset';
  if (spec?.type === 'duration' && typeof v === 'number') return `"${formatDuration(v)}"`;
  if (typeof v === 'object' && v !== null && 'count' in v && 'perMs' in v)
    return `${String(v.count)}/${Number(v.perMs) / 1000}s`;
  return JSON.stringify(v);
}

/** The hosts of a route explanation, one line each, as `route explain` and `petrel domain` print them. */
export function hostLines(r: RouteExplanation): string[] {
  const lines: string[] = [];
  for (const h of r.mx?.hosts ?? []) {
    lines.push(
      `  MX ${h.preference} ${h.name} ` +
        `${h.addresses.length ? h.addresses.map((a) => a.address).join(' ') : '(no usable address)'}` +
        `${h.ttl !== undefined ? ` (ttl ${h.ttl}s)` : ''}`,
    );
  }
  // routes entries in the order tried; an MX entry lists its hosts beneath it.
  for (const [i, e] of (r.routes ?? []).entries()) {
    const head = `  route ${i + 1} ${e.entry}`;
    if (e.kind === 'a') {
      const addrs = e.hosts.flatMap((h) => h.addresses.map((a) => `${a.address}:${e.port}`));
      const detail = e.failure?.detail ? `: ${e.failure.detail}` : '';
      lines.push(`${head} → ${addrs.length ? addrs.join(' ') : `(no usable address${detail})`}`);
      continue;
    }
    lines.push(
      `${head} → MX of ${e.name}${e.implicit ? " (implicit MX: the domain's own address)" : ''}` +
        `${e.failure ? `: ${formatReply(e.failure.reply)}` : ''}`,
    );
    for (const h of e.hosts) {
      lines.push(
        `    MX ${h.preference} ${h.name} ` +
          `${h.addresses.length ? h.addresses.map((a) => `${a.address}:${e.port}`).join(' ') : '(no usable address)'}`,
      );
    }
  }
  for (const g of r.gateway ?? []) {
    lines.push(
      `  gateway ${g.entry} → ` +
        `${g.addresses.length ? g.addresses.map((a) => `${a.address}:${g.port}`).join(' ') : '(no usable address)'}`,
    );
  }
  return [...lines, ...tlsLines(r)];
}

/** The TLS policy a route carries (docs/tls-policy.md): MTA-STS policy or discovery failure, DANE per host. */
function tlsLines(r: RouteExplanation): string[] {
  const route = r.route;
  if (route.kind !== 'hosts') return [];
  const out: string[] = [];
  if (route.mtaSts) out.push(`  mta-sts: ${route.mtaSts.mode} (id ${route.mtaSts.id}) mx ${route.mtaSts.mx.join(' ')}`);
  if (route.mtaStsFailure)
    out.push(`  mta-sts discovery failed: ${route.mtaStsFailure.type} (${route.mtaStsFailure.detail})`);
  const seen = new Set<string>();
  for (const h of route.hosts) {
    if (!h.dane || seen.has(h.name)) continue;
    seen.add(h.name);
    const d = h.dane;
    const what =
      d.kind === 'tlsa'
        ? `${d.records.length} usable TLSA record(s)`
        : d.kind === 'unusable'
          ? 'TLSA records, none usable (TLS required, unauthenticated)'
          : `TLSA lookup failed (host not used): ${d.reason}`;
    out.push(`  dane ${h.name}: ${what}`);
  }
  return out;
}

/** The human form: assignment, route, then one line per option with its scope. */
const FROM_SENDER_NOTE = "(the sender domain of each connection's first message)";

export function renderExplanation(x: RecipientExplanation): string {
  const out: string[] = [];
  out.push(`recipient: ${x.recipient}`, `sender:    ${x.sender === '' ? '<>' : x.sender}`, `domain:    ${x.domain}`);
  out.push(`binding:   ${x.binding}`, `group:     ${x.bindingGroup}`, `rule:      ${x.rule}`);
  const r = x.route;
  out.push(
    `source:    ${r.bindAddress ?? '* (kernel chooses)'}`,
    `ehlo:      ${r.ehloName === EHLO_FROM_SENDER ? `${EHLO_FROM_SENDER} ${FROM_SENDER_NOTE}` : r.ehloName}`,
    `port:      ${r.port}`,
  );
  out.push(`route:     ${r.source}${r.mx?.implicit ? " (implicit MX: the domain's own address)" : ''}`);
  out.push(...hostLines(r));
  if (r.prohibited.length) out.push(`  prohibited: ${r.prohibited.join(' ')}`);
  if (r.self?.length) out.push(`  skipped, Petrel's own listener (mail loop): ${r.self.join(' ')}`);
  if (r.route.kind === 'failure')
    out.push(`  failure: ${formatReply(r.route.reply)} (${r.route.permanent ? 'permanent' : 'transient'})`);
  else if (r.route.auth) out.push(`  auth: ${r.route.auth.user}`);
  out.push('options:');
  const width = Math.max(...Object.keys(x.options).map((k) => k.length));
  for (const [k, o] of Object.entries(x.options))
    out.push(
      `  ${k.padEnd(width)}  ` +
        `${showValue(o.value, (DELIVERY_OPTIONS as Record<string, OptionSpec>)[k]).padEnd(14)}  ${o.scope}`,
    );
  return `${out.join('\n')}\n`;
}

/** `petrel route explain`: works from the config file and DNS alone, no daemon needed. */
export function registerRoute(program: Command): Command {
  const route = program.command('route').description('routing tools (no running daemon needed)');
  route
    .command('explain')
    .description('show the binding, rule, MX hosts and effective delivery options for a recipient')
    .argument('<recipient>', 'recipient address, e.g. bob@example.com')
    .option('--sender <address>', 'envelope sender (for sender_domain rules)', '')
    .option('--client <address>', 'client address (for client_network rules)')
    .option('--auth-user <user>', 'AUTH user (for auth_user rules)')
    .option('--header <field...>', 'a header "Name: value" (for header rules)')
    .option('--config <file>', 'configuration file', DEFAULT_CONFIG)
    .option('--json', 'print JSON')
    .action(
      async (
        recipient: string,
        o: { sender: string; client?: string; authUser?: string; header?: string[]; config: string; json?: boolean },
      ) => {
        const config = loadOrExit(o.config);
        const headers: Record<string, string> = {};
        for (const h of o.header ?? []) {
          const i = h.indexOf(':');
          if (i > 0) headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
        }
        const client =
          o.client !== undefined || o.authUser !== undefined
            ? { address: o.client ?? '', ...(o.authUser !== undefined ? { authUser: o.authUser } : {}) }
            : undefined;
        const x = await explainRecipient(config, {
          recipient,
          sender: o.sender,
          ...(client ? { client } : {}),
          headers,
        });
        process.stdout.write(o.json ? `${JSON.stringify(x, null, 2)}\n` : renderExplanation(x));
      },
    );
  return route;
}
