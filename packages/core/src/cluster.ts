/**
 * The narrow ports through which the queue and outbound share state with the other nodes of a
 * cluster (docs/scaling.md). @petrel/cluster implements them on Redis; the app hands them to the
 * services only when `[cluster] redis` is set, so a single node runs none of this code and pays
 * nothing for it. Every port answers from local state on the hot path: Redis is reached in the
 * background, with a timeout, and a node that cannot reach it falls back to its local share.
 */
import type { Rate } from './config/units.js';
import type { QueueSelector, Suspension } from './topics.js';

/** What a throttle check needs: a token now, or how long until one (core's TokenBucket is one). */
export interface TokenSource {
  /** Takes one token if there is one; never waits. */
  tryTake(): boolean;
  /** Milliseconds until a token may be available (0 = now). */
  waitMs(): number;
}

/**
 * Makes the bucket for one throttle: `key` names the defining scope and option (equal keys on two
 * nodes are one shared bucket), `rate` is its rate. The port decides how tokens are shared.
 */
export type SharedBucketFactory = (key: string, rate: Rate) => TokenSource;

/** A connection's claim on a shared connection limit; released when the connection closes. */
export interface ConnectionLease {
  release(): void;
}

/**
 * Connection limits across nodes (max_outbound_connections per (binding, domain); later per site):
 * a connection takes a lease before it connects and gives it back when it closes.
 */
export interface ConnectionGate {
  /**
   * Resolves with a lease once fewer than `limit` connections of `key` are open across the cluster
   * (or, while the shared store is unreachable, fewer than this node's share of it); undefined when
   * `stopped` resolves first.
   */
  acquire(key: string, limit: number, stopped: Promise<void>): Promise<ConnectionLease | undefined>;
}

/** How shared suspension changes reach the local suspension table. */
export interface SuspensionApply {
  /** Another node set (or replaced) this suspension. */
  suspend(s: Suspension): void;
  /** Another node lifted the suspension set exactly for this selector. */
  resume(sel: QueueSelector): void;
  /** The full shared set (periodic reconcile): anything local and not in it is lifted. */
  reconcile(all: readonly Suspension[]): void;
  /** The suspensions in force here: written back to a Redis that lost its data (restarted empty). */
  current(): readonly Suspension[];
}

/** Operator suspensions shared by every node: set on one, in force on all. */
export interface SuspensionShare {
  /** A suspension set on this node (by an operator or a rule): tell the others. */
  suspended(s: Suspension): void;
  /** A suspension lifted on this node: tell the others. */
  resumed(sel: QueueSelector): void;
  /** Starts delivering the others' changes to `apply`; returns the unsubscribe. */
  attach(apply: SuspensionApply): () => void;
}

/**
 * How a shared table's changes made on other nodes reach this node's copy (shaping states, the
 * suppression list: docs/scaling.md). The local copy answers every lookup; the table only keeps
 * it in step.
 */
export interface SharedTableApply<T> {
  /** Another node set (or replaced) the entry. */
  put(id: string, value: T): void;
  /** Another node removed the entry. */
  remove(id: string): void;
  /** The full shared table (a re-read): what is here and not there was removed elsewhere. */
  reconcile(all: ReadonlyMap<string, T>): void | Promise<void>;
  /** The local entries: written back to a shared store that lost its data. */
  current(): Iterable<readonly [string, T]> | Promise<Iterable<readonly [string, T]>>;
}

/** Keyed entries shared by every node, each node keeping its own copy. */
export interface SharedTable<T> {
  /** An entry set on this node: tell the others. */
  put(id: string, value: T): void;
  /** An entry removed on this node: tell the others. */
  remove(id: string): void;
  /** Starts delivering the others' changes to `apply` (first a full read); returns the unsubscribe. */
  attach(apply: SharedTableApply<T>): () => void;
}

/** The queue's ports. */
export interface QueueClusterPorts {
  readonly throttles?: SharedBucketFactory;
  readonly suspensions?: SuspensionShare;
}

/** Outbound's ports. */
export interface OutboundClusterPorts {
  readonly throttles?: SharedBucketFactory;
  readonly connections?: ConnectionGate;
}
