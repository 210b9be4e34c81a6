/**
 * The queues of one (binding, domain): an active FIFO handed out to connections, and a delayed
 * min-heap ordered by due time. Counts are O(1) reads of the structures themselves.
 */
import type { DeliveryJob, DeliveryOptions, ScopeResolver } from '@petrel/core';
import { MinHeap } from './min-heap.js';
import { RingDeque } from './ring-deque.js';

/** A job waiting in the delayed queue until `at`. */
export interface DelayedEntry {
  readonly at: number;
  /** Insertion order: FIFO among jobs due at the same millisecond. */
  readonly seq: number;
  readonly job: DeliveryJob;
}

const earlier = (a: DelayedEntry, b: DelayedEntry): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq);

export class DestinationQueue {
  readonly active = new RingDeque<DeliveryJob>();
  readonly delayed = new MinHeap<DelayedEntry>(earlier);
  inFlight = 0;
  /** The earliest due time this queue has an entry for in the due timer's heap; ∞ = none. */
  armedAt = Infinity;
  private policyFrom: ScopeResolver | undefined;
  private cachedPolicy: DeliveryOptions | undefined;

  constructor(
    readonly binding: string,
    readonly domain: string,
  ) {}

  /** The destination policy, re-read only when the resolver changes (config reload). */
  policy(resolver: ScopeResolver): DeliveryOptions {
    if (this.policyFrom !== resolver || this.cachedPolicy === undefined) {
      this.cachedPolicy = resolver.policy(this.binding, this.domain);
      this.policyFrom = resolver;
    }
    return this.cachedPolicy;
  }

  get isEmpty(): boolean {
    return this.active.length === 0 && this.delayed.size === 0 && this.inFlight === 0;
  }

  /** The due time of the first delayed job, if any. */
  get nextDue(): number | undefined {
    return this.delayed.peek()?.at;
  }
}
