/** `petrel shaping`: the shaping states in force (suspensions, throttles, connection limits) and lifting one. */
import type { Command } from 'commander';
import type { ShapingState } from '@petrel/core';
import { clientOptions, withClient, type ClientOptions } from './common.js';
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
    shaping.command('clear').description('lift one state now (its id from `petrel shaping`)').argument('<id>'),
  ).action((id: string, o: ClientOptions) =>
    withClient(
      o,
      (c) => c.post<{ cleared: number }>('/v1/shaping/clear', { id }),
      (r) => (r.cleared > 0 ? `cleared ${id}\n` : `no state ${id} in force\n`),
    ),
  );
}
