/**
 * Cluster metrics (docs/scaling.md): whether this node reaches Redis, how often it lost it, the
 * live node count that divides limits while it is down, labelled by node name. Read from `cluster.stats` at scrape time
 * (local counters, no Redis call); absent on a node without [cluster].
 */
import { Gauge, type Registry } from 'prom-client';
import type { Bus } from '@petrel/core';

export function registerClusterMetrics(r: Registry, bus: Bus): void {
  const series = (name: string, help: string, key: string): void => {
    // Labelled by node, so that a node without [cluster] exposes no sample at all (not a misleading 0).
    new Gauge({
      name,
      help,
      labelNames: ['node'],
      registers: [r],
      async collect() {
        this.reset();
        if (!bus.hasHandler('cluster.stats')) return;
        const stats = await bus.request('cluster.stats', {});
        const v = stats[key];
        const self = stats.self;
        const node = Array.isArray(self) ? String(self[0]?.node ?? '') : '';
        if (typeof v === 'number') this.set({ node }, v);
      },
    });
  };
  series(
    'petrel_cluster_redis_up',
    'Whether this node reaches the cluster Redis now (1) or runs degraded (0)',
    'redisUp',
  );
  series(
    'petrel_cluster_degradations_total',
    'Times this node lost the cluster Redis and fell back to local limits',
    'degradations',
  );
  series('petrel_cluster_live_nodes', 'Live cluster nodes seen in the last heartbeat round', 'liveNodes');
  series('petrel_cluster_leases', 'Connection leases this node holds in the shared limits', 'leases');
}
