/**
 * @petrel/cluster: several Petrel nodes sharing throttles, connection limits, suspensions, shaping
 * states and the suppression list through Redis (docs/scaling.md). The app builds a ClusterService
 * when `[cluster] redis` is set and hands its ports (core's cluster.ts interfaces) to the queue,
 * outbound, shaping and the suppression list.
 */
export { ClusterService } from './cluster-service.js';
export { RedisLink, redactUrl, type LinkState, type RedisLinkOptions } from './redis-link.js';
export { Keys } from './keys.js';
export { SharedBucket, sharedBuckets, localShare, HOLD_MS, type SharedThrottleEnv } from './shared-throttles.js';
export { LeaseGate, type LeaseEnv } from './connection-leases.js';
export { SuspensionSync, selectorField, selectorOf, type SuspensionSyncEnv } from './suspension-sync.js';
export {
  SuppressionSync,
  suppressionId,
  isTombstone,
  TOMBSTONE_MS,
  type SharedSuppression,
  type SuppressionTombstone,
  type SuppressionSyncEnv,
} from './suppression-sync.js';
export { ReplicatedTable, type TableApply, type ReplicatedTableEnv } from './replicated-table.js';
export { NodeRegistry, scanKeys, type NodeRegistryEnv } from './node-registry.js';
export { TAKE_TOKENS, ACQUIRE_LEASE, RENEW_LEASE, COUNT_LEASES } from './scripts.js';
export { script, type Script } from './redis-link.js';
