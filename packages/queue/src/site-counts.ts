/**
 * `queue.sites` (`petrel queue --sites`): queued mail summed per MX rollup site and binding, so an
 * operator sees a provider's thousand domains as the one destination they are (docs/shaping.md).
 * Domains whose site routing has not resolved yet count under their own name.
 */
import type { SiteCount } from '@petrel/core';
import type { DestinationQueue } from './destination-queue.js';

export function siteCounts(
  queues: Iterable<DestinationQueue>,
  siteOf: (domain: string) => string | undefined,
): SiteCount[] {
  const bySite = new Map<
    string,
    { site: string; binding: string; domains: string[]; active: number; delayed: number; inFlight: number }
  >();
  for (const q of queues) {
    const site = siteOf(q.domain) ?? q.domain;
    const key = `${q.binding}\u0000${site}`;
    let c = bySite.get(key);
    if (c === undefined) {
      c = { site, binding: q.binding, domains: [], active: 0, delayed: 0, inFlight: 0 };
      bySite.set(key, c);
    }
    c.domains.push(q.domain);
    c.active += q.active.length;
    c.delayed += q.delayed.size;
    c.inFlight += q.inFlight;
  }
  return [...bySite.values()].sort((a, b) => a.site.localeCompare(b.site) || a.binding.localeCompare(b.binding));
}
