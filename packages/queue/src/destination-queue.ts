/**
 * The queues of one (binding, domain): an active FIFO handed out to connections, and a delayed
 * min-heap ordered by due time. Counts are O(1) reads of the structures themselves; the oldest
 * reception time is kept per reception second (see ReceptionIndex), so that reading it costs
 * O(distinct seconds) only after the oldest second emptied, never O(jobs).
 */
import type { DeliveryJob, DeliveryOptions, ScopeResolver, ThrottleRegistry, TokenSource } from '@petrel/core';
import { MinHeap } from './min-heap.js';
import { RingDeque } from './ring-deque.js';

/** A job waiting in the delayed queue until `at`. */
export interface DelayedEntry {
  readonly at: number;
  /** Insertion order: FIFO among jobs due at the same millisecond. */
  readonly seq: number;
  readonly job: DeliveryJob;
  /**
   * True when the job waits only because its destination is suspended (parked), not for a
   * retry: a resume moves it to active at once.
   */
  readonly held: boolean;
}

const earlier = (a: DelayedEntry, b: DelayedEntry): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq);

/**
 * Reception times of the jobs in a queue, bucketed by second: insert and remove are one Map
 * update; the minimum is cached and recomputed (over the buckets) only when read after its
 * bucket emptied.
 */
class ReceptionIndex {
  private readonly seconds = new Map<number, number>();
  private min = Infinity;
  private stale = false;

  add(receivedAt: number): void {
    const s = Math.floor(receivedAt / 1000);
    this.seconds.set(s, (this.seconds.get(s) ?? 0) + 1);
    if (s < this.min) this.min = s;
  }

  remove(receivedAt: number): void {
    const s = Math.floor(receivedAt / 1000);
    const n = this.seconds.get(s);
    if (n === undefined) return;
    if (n > 1) this.seconds.set(s, n - 1);
    else {
      this.seconds.delete(s);
      if (s === this.min) this.stale = true;
    }
  }

  /** Epoch ms (second precision) of the oldest reception; 0 when empty. */
  oldest(): number {
    if (this.stale) {
      this.stale = false;
      this.min = Infinity;
      for (const s of this.seconds.keys()) if (s < this.min) this.min = s;
    }
    return this.min === Infinity ? 0 : this.min * 1000;
  }
}

export class DestinationQueue {
  readonly active = new RingDeque<DeliveryJob>();
  readonly delayed = new MinHeap<DelayedEntry>(earlier);
  inFlight = 0;
  /** Jobs that belong to this queue (active + delayed + in flight). */
  jobs = 0;
  /** The earliest due time this queue has an entry for in the due timer's heap; ∞ = none. */
  armedAt = Infinity;
  /** When a message throttle refused a take: the time its next token is due; ∞ = not throttled. */
  throttleWakeAt = Infinity;
  /** Cached "held" state and the suspension-table generation it was computed for. */
  heldGen = -1;
  held = false;
  private readonly reception = new ReceptionIndex();
  private policyFrom: ScopeResolver | undefined;
  private cachedPolicy: DeliveryOptions | undefined;
  /** The delivery options cachedBucket was resolved from (a config reload brings new ones). */
  private throttleFrom: ScopeResolver | undefined;
  private cachedBucket: TokenSource | undefined;

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

  /** The outbound_throttle_messages bucket governing this queue, if any (cached per config). */
  messageBucket(registry: ThrottleRegistry): TokenSource | undefined {
    const source = registry.resolverInUse;
    if (this.throttleFrom !== source) {
      this.cachedBucket = registry.bucket('outbound_throttle_messages', this.binding, this.domain);
      this.throttleFrom = source;
    }
    return this.cachedBucket;
  }

  /** A job becomes this queue's (routed, rerouted, rebound in). */
  enter(job: DeliveryJob): void {
    this.jobs++;
    this.reception.add(job.receivedAt);
  }

  /** A job leaves this queue for good (finished, failed, moved out). */
  leave(job: DeliveryJob): void {
    this.jobs--;
    this.reception.remove(job.receivedAt);
  }

  /** Reception time of the oldest job (second precision), 0 when none. */
  get oldestReceivedAt(): number {
    return this.reception.oldest();
  }

  get isEmpty(): boolean {
    return this.active.length === 0 && this.delayed.size === 0 && this.inFlight === 0;
  }

  /** The due time of the first delayed job, if any. */
  get nextDue(): number | undefined {
    return this.delayed.peek()?.at;
  }
}
