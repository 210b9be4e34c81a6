/**
 * @petrel/outbound: connection pools per (binding, domain) that drive @petrel/smtp-client and
 * report every recipient's outcome on the bus (ARCHITECTURE.md "One message's way", step 5).
 *
 * Consumes `queue.demand`; requests `routing.route`, `queue.take`, `spool.body`; publishes
 * `delivery.attempted` and `delivery.released` (every job taken ends in exactly one of the two), and
 * `outbound.session_event` for its SMTP sessions' libESMTP-named events.
 */
export {
  OutboundService,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_STOP_TIMEOUT_MS,
  type OutboundOptions,
  type OutboundStats,
  type PoolStats,
} from './outbound-service.js';
export type { ConnectionInfo } from './connection.js';
export { HOST_FAILURE_RETRY_MS } from './host-failures.js';
export { InternalReplies } from './outcomes.js';
export type { OutboundPolicy, OutboundPolicySource, DeliveryAdditions } from './policy-hooks.js';
