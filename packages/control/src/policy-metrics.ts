/**
 * Policy hook metrics per (module, hook): calls, errors, timeouts, latency (docs/policy.md).
 * Labels are bounded: module file names and the closed list of hook names. Read from the
 * `policy.stats` request at scrape time; absent when the app has no policy host.
 */
import { Gauge, type Registry } from 'prom-client';
import type { Bus } from '@petrel/core';

type Row = Readonly<Record<string, string | number>>;

export function registerPolicyMetrics(r: Registry, bus: Bus): void {
  const rows = async (): Promise<readonly Row[]> => {
    // No policy host (control embedded without the app): no rows. A failing host fails the scrape.
    if (!bus.hasHandler('policy.stats')) return [];
    const hooks = (await bus.request('policy.stats', {})).hooks;
    return Array.isArray(hooks) ? hooks : [];
  };
  // Counters in Prometheus terms (monotonic, *_total), exposed as gauges set from the host's counts.
  const series = (name: string, help: string, key: string): void => {
    new Gauge({
      name,
      help,
      labelNames: ['module', 'hook'],
      registers: [r],
      async collect() {
        this.reset();
        for (const row of await rows())
          this.set({ module: String(row.module), hook: String(row.hook) }, Number(row[key]));
      },
    });
  };
  series('petrel_policy_hook_calls_total', 'Policy hook calls', 'calls');
  series(
    'petrel_policy_hook_errors_total',
    'Policy hook calls that threw, rejected or returned something invalid',
    'errors',
  );
  series('petrel_policy_hook_timeouts_total', 'Policy hook calls past their time limit', 'timeouts');
  series('petrel_policy_hook_seconds_sum', 'Total time spent in policy hook calls', 'latencySum');
  series('petrel_policy_hook_seconds_max', 'Longest policy hook call', 'latencyMax');
}
