/** `petrel cluster status`: the nodes of a cluster, their queues, and the state they share (docs/scaling.md). */
import type { Command } from 'commander';
import type { ClusterStatus, Suspension } from '@petrel/core';
import { clientOptions, withClient, type ClientOptions } from './common.js';
import { limitOf, scopeOf } from './shaping.js';
import { age, table } from './table.js';

function selector(s: Suspension): string {
  return s.binding && s.domain ? `${s.binding}::${s.domain}` : (s.domain ?? s.binding ?? 'all');
}

/**
 * The human rendering: a header line, then nodes, suspensions, shaping states, the suppression
 * list's size, throttles and leases.
 */
export function renderClusterStatus(s: ClusterStatus, now = Date.now()): string {
  const head =
    `cluster node ${s.node}: redis ${s.redis} ${s.state}` +
    `${s.state === 'down' ? ' (delivering under local limits)' : ''}, ` +
    `${s.liveNodes} live node(s), ${s.degradations} degradation(s) since start\n`;
  if (s.state === 'down') return head;
  const parts = [head, '\nnodes\n'];
  parts.push(
    table(
      ['node', 'host', 'pid', 'active', 'delayed', 'in flight', 'heartbeat', 'up', 'redis'],
      s.nodes.map((n) => [
        n.node,
        n.hostname,
        n.pid,
        n.active,
        n.delayed,
        n.inFlight,
        now - n.heartbeatAt < 1000 ? 'just now' : `${age(now - n.heartbeatAt)} ago`,
        age(now - n.startedAt),
        n.degradedSince !== undefined ? `down since ${age(now - n.degradedSince)}` : 'up',
      ]),
    ),
  );
  parts.push('\nsuspensions\n');
  parts.push(
    s.suspensions.length === 0
      ? '(none)\n'
      : table(
          ['selector', 'reason', 'since', 'until'],
          s.suspensions.map((x) => [
            selector(x),
            x.reason ?? '',
            new Date(x.since).toISOString(),
            x.until !== undefined ? new Date(x.until).toISOString() : '-',
          ]),
        ),
  );
  parts.push('\nshaping states\n');
  parts.push(
    s.shaping.length === 0
      ? '(none)\n'
      : table(
          ['kind', 'scope', 'limit', 'source', 'since', 'until'],
          s.shaping.map((x) => [
            x.kind,
            scopeOf(x),
            limitOf(x),
            x.rule !== undefined ? `rule ${x.rule}` : x.source,
            new Date(x.since).toISOString(),
            x.until !== undefined ? new Date(x.until).toISOString() : '-',
          ]),
        ),
  );
  parts.push(
    `\nsuppression list: ${s.suppressions} shared entr${s.suppressions === 1 ? 'y' : 'ies'} (removals included)\n`,
  );
  parts.push('\nthrottles\n');
  parts.push(
    s.throttles.length === 0
      ? '(none)\n'
      : table(
          ['key', 'tokens'],
          s.throttles.map((t) => [t.key, t.tokens.toFixed(2)]),
        ),
  );
  parts.push('\nconnection leases\n');
  parts.push(
    s.leases.length === 0
      ? '(none)\n'
      : table(
          ['key', 'open'],
          s.leases.map((l) => [l.key, l.count]),
        ),
  );
  return parts.join('');
}

export function registerCluster(program: Command): void {
  const cluster = program.command('cluster').description('a cluster of nodes sharing state through Redis');
  clientOptions(cluster.command('status').description('nodes (heartbeats), their queues and the shared state')).action(
    (o: ClientOptions) =>
      withClient(
        o,
        (c) => c.get<ClusterStatus>('/v1/cluster'),
        (s) => renderClusterStatus(s),
      ),
  );
}
