/** `petrel shaping`: the shaping states in force (suspensions, throttles, connection limits) and lifting one. */
import type { Command } from 'commander';
import { parseDuration, type ShapingState } from '@petrel/core';
import { clientOptions, fail, withClient, EXIT_CONFIG, type ClientOptions } from './common.js';
import { table } from './table.js';

/** What a state limits, as one cell: "10/60s", "2 connections", "suspended". */
export function limitOf(s: ShapingState): string {
  if (s.kind === 'throttle' && s.rate) return `${s.rate.count}/${Math.round(s.rate.perMs / 1000)}s`;
  if (s.kind === 'max_connections') return `${s.connections ?? '?'} connections`;
  return 'suspended';
}

/** Where it applies, as one cell: "b1 example.com", "* yahoo.com", "b1 site mx1,mx2". */
export function scopeOf(s: ShapingState): string {
  if (s.scope === 'site') return `${s.binding ?? '*'} site ${s.site ?? ''}`;
  return `${s.binding ?? '*'} ${s.domain ?? '*'}`;
}

interface SetOptions extends ClientOptions {
  readonly domain?: string;
  readonly binding?: string;
  readonly site?: string;
  readonly rate?: string;
  readonly connections?: string;
  readonly duration?: string;
  readonly cause?: string;
}

export function registerShaping(program: Command): void {
  const shaping = clientOptions(
    program.command('shaping').description('traffic shaping states in force (docs/shaping.md)'),
  ).enablePositionalOptions();
  shaping.action((o: ClientOptions) =>
    withClient(
      o,
      (c) => c.get<ShapingState[]>('/v1/shaping'),
      (rows) =>
        table(
          ['Id', 'Kind', 'Scope', 'Limit', 'Source', 'Since', 'Until', 'Cause'],
          rows.map((s) => [
            s.id,
            s.kind,
            scopeOf(s),
            limitOf(s),
            s.rule ? `${s.source}:${s.rule}` : s.source,
            new Date(s.since).toISOString(),
            s.until !== undefined ? new Date(s.until).toISOString() : '-',
            s.cause ?? '',
          ]),
        ),
    ),
  );
  clientOptions(
    shaping
      .command('set')
      .description('put a throttle or connection limit in force (in a cluster: on every node)')
      .argument('<kind>', 'throttle or max_connections')
      .option('--domain <domain>', 'the destination domain')
      .option('--binding <name>', 'the binding')
      .option('--site <site>', 'an MX rollup site (petrel queue --sites), with --binding')
      .option('--rate <rate>', 'throttle: messages per period, e.g. "10/60s"')
      .option('--connections <n>', 'max_connections: open connections at most')
      .option('--duration <d>', 'lift by itself after this long, e.g. 1h (default: until cleared)')
      .option('--cause <text>', 'why (shown by petrel shaping)'),
  ).action((kind: string, o: SetOptions) => {
    if (kind !== 'throttle' && kind !== 'max_connections') fail('kind: throttle or max_connections', EXIT_CONFIG);
    const scope = o.site ? 'site' : o.binding && o.domain ? 'binding+domain' : o.domain ? 'domain' : 'binding';
    if (!o.site && !o.domain && !o.binding) fail('set needs --domain, --binding, both, or --site', EXIT_CONFIG);
    const durationMs = o.duration === undefined ? undefined : parseDuration(o.duration);
    if (o.duration !== undefined && durationMs === undefined)
      fail(`--duration: expected a duration such as "1h", found "${o.duration}"`, EXIT_CONFIG);
    const connections = o.connections === undefined ? undefined : Number(o.connections);
    return withClient(
      o,
      (c) =>
        c.post<ShapingState>('/v1/shaping', {
          kind,
          scope,
          ...(o.binding ? { binding: o.binding } : {}),
          ...(o.domain ? { domain: o.domain } : {}),
          ...(o.site ? { site: o.site } : {}),
          ...(o.rate ? { rate: o.rate } : {}),
          ...(connections !== undefined ? { connections } : {}),
          ...(durationMs !== undefined ? { durationMs } : {}),
          ...(o.cause ? { cause: o.cause } : {}),
        }),
      (st) => `set ${st.id}: ${limitOf(st)}\n`,
    );
  });
  clientOptions(
    shaping.command('clear').description('lift one state now (its id from `petrel shaping`)').argument('<id>'),
  ).action((id: string, o: ClientOptions) =>
    withClient(
      o,
      (c) => c.post<{ cleared: number }>('/v1/shaping/clear', { id }),
      (r) => (r.cleared > 0 ? `cleared ${id}\n` : `no state ${id} in force\n`),
    ),
  );
}
