/**
 * The connection goal: how many connections a (binding, domain) wants in total. Momentum's
 * `connection_goal` hook with `__default_connection_goal` as fallback (reference §5).
 */
import type { DeliveryOptions } from '@petrel/core';

/** What a connection-goal function sees about one active queue. */
export interface ConnectionGoalInput {
  readonly binding: string;
  readonly domain: string;
  /** Jobs in the active queue. */
  readonly active: number;
  /** Jobs handed to connections and not yet reported. */
  readonly inFlight: number;
  readonly maxOutboundConnections: number;
  readonly aggressiveness: DeliveryOptions['connection_allocation_aggressiveness'];
}

/** Returns the total connections wanted; the queue manager clamps it to [0, max_outbound_connections]. */
export type ConnectionGoalFn = (input: ConnectionGoalInput) => number;

/** Curve constants: the active-queue size at which the goal reaches 1 − 1/e (63 %) of the max. */
const CURVE_K: Record<DeliveryOptions['connection_allocation_aggressiveness'], number> = {
  normal: 100,
  high: 40,
};

/**
 * goal = round(max × (1 − e^(−AQ/k))), k = 100 (normal) or 40 (high): the curve fitted to
 * Momentum's documented points (reference §5: AQ 100 → ≈20 of 32 normal, ≈29 high; AQ 200 high
 * saturates). At least 1 while mail is active; never more than max_outbound_connections, and
 * never more than there are jobs to carry (active + in flight).
 */
export const defaultConnectionGoal: ConnectionGoalFn = (q) => {
  if (q.active <= 0) return 0;
  const max = q.maxOutboundConnections;
  const curve = Math.round(max * (1 - Math.exp(-q.active / CURVE_K[q.aggressiveness])));
  return Math.min(Math.max(curve, 1), max, q.active + q.inFlight);
};
