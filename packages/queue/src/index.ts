/**
 * @petrel/queue: the queue manager (Momentum's mail queues, reference §5). Active FIFO and
 * delayed heap per (binding, domain), one timer for all delayed mail, Momentum's retry and
 * expiry maths (reference §4) and the connection goal published as `queue.demand`.
 *
 * Bus contract: subscribes `message.routed`, `delivery.attempted`, `delivery.released`;
 * handles `queue.take` and the operator requests `queue.counts`, `queue.jobs`, `queue.suspend`,
 * `queue.resume`, `queue.suspensions`, `queue.flush`, `queue.fail` (reason `policy`, default
 * `554 5.7.0 [internal] Message manually purged`, `quiet` passed through), `queue.reroute` and
 * `queue.rebind` (calls `routing.assign`); publishes `queue.demand`, `delivery.deferred`,
 * `delivery.failed`. `outbound_throttle_messages` is applied at `queue.take` (core's
 * ThrottleRegistry: one bucket per defining scope); `delayed_binding_domain_fuzz` spreads requeues.
 *
 * @packageDocumentation
 */
export { QueueManager, type QueueManagerOptions, type QueueCounts } from './queue-manager.js';
export { defaultConnectionGoal, type ConnectionGoalFn, type ConnectionGoalInput } from './connection-goal.js';
export { decideRetry, retryWait, expiresAt, type RetryDecision, type RetryInput, type RetryPolicy } from './retry.js';
export { QUEUE_REPLIES } from './replies.js';
