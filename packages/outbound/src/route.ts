/**
 * Route resolution calls: outbound asks routing over the bus and never fails open. A routing
 * service that throws becomes a transient route failure, so the jobs go back to the queue's
 * delayed side instead of bouncing or spinning.
 */
import type { Bus, Logger, Route } from '@petrel/core';
import { InternalReplies } from './outcomes.js';

export type HostsRoute = Extract<Route, { kind: 'hosts' }>;
export type FailureRoute = Extract<Route, { kind: 'failure' }>;

export async function resolveRoute(bus: Bus, binding: string, domain: string, logger: Logger): Promise<Route> {
  try {
    const route = await bus.request('routing.route', { binding, domain });
    // An MX answer with no usable address is as good as a failure; treat it as no host reachable.
    if (route.kind === 'hosts' && route.hosts.length === 0) {
      return { kind: 'failure', permanent: false, reply: InternalReplies.noMxReachable };
    }
    return route;
  } catch (err) {
    logger.error({ err, binding, domain }, 'routing.route failed');
    return { kind: 'failure', permanent: false, reply: InternalReplies.routingUnavailable };
  }
}
