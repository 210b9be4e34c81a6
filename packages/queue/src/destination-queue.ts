/**
 * The queues of one (binding, domain): an active FIFO handed out to connections, and a delayed
 * min-heap ordered by due time. Counts are O(1) reads of the structures themselves; the oldest
 * reception time is kept in at most a few hundred time buckets (see ReceptionIndex), so that
 * reading it costs O(buckets) only after the oldest bucket emptied, never O(jobs).
 */
import type { DeliveryJob, DeliveryOptions, ScopeResolver, ThrottleRegistry, TokenSource } from '@petrel/core';
import { MinHeap } from './min-heap.js';
import { ReceptionIndex } from './reception-index.js';
import { RingDeque } from './ring-deque.js';

/**
 * Jobs held in memory by every queue together (active + delayed + in flight), for the
 * `max_resident_messages` cap. The queues' own containers keep it, so that no path that adds or
 * removes a job can forget to.
 */
export interface Residency {
  total: number;
}

/** Counts one job taken out of a container (none when `v` is undefined) out of the tally. */
function tookOne<T>(tally: Residency, v: T | undefined): T | undefined {
  if (v !== undefined) tally.total--;
  return v;
}

/** Counts the jobs removed from a container out of the tally. */
function tookAll<T>(tally: Residency, out: T[]): T[] {
  tally.total -= out.length;
  return out;
}

/** The active FIFO, counting its jobs into the residency tally. */
class CountedDeque<T> extends RingDeque<T> {
  constructor(private readonly tally: Residency) {
    super();
  }
  override pushBack(value: T): void {
    super.pushBack(value);
    this.tally.total++;
  }
  override pushFront(value: T): void {
    super.pushFront(value);
    this.tally.total++;
  }
  override shift(): T | undefined {
    return tookOne(this.tally, super.shift());
  }
  override removeWhere(pred: (value: T) => boolean): T[] {
    return tookAll(this.tally, super.removeWhere(pred));
  }
}

/** The delayed heap, counting its entries into the residency tally. */
class CountedHeap<T> extends MinHeap<T> {
  constructor(
    before: (a: T, b: T) => boolean,
    private readonly tally: Residency,
  ) {
    super(before);
  }
  override push(value: T): void {
    super.push(value);
    this.tally.total++;
  }
  override pop(): T | undefined {
    return tookOne(this.tally, super.pop());
  }
  override popLast(): T | undefined {
    return tookOne(this.tally, super.popLast());
  }
  override removeWhere(pred: (value: T) => boolean): T[] {
    return tookAll(this.tally, super.removeWhere(pred));
  }
}

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

export class DestinationQueue {
  readonly active: RingDeque<DeliveryJob>;
  readonly delayed: MinHeap<DelayedEntry>;
  private flying = 0;
  /** Jobs of this queue swapped out to the swap file, counted as active or as delayed mail. */
  swappedActive = 0;
  swappedDelayed = 0;
  /** Key of this queue in the swap file (0 = none yet). */
  swapId = 0;
  /** The earliest due time among the swapped jobs (∞ = none), for the due timer. */
  swapDueAt = Infinity;
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
    private readonly tally: Residency = { total: 0 },
  ) {
    this.active = new CountedDeque(tally);
    this.delayed = new CountedHeap(earlier, tally);
  }

  /** Jobs handed to connections and not reported yet (they count as resident). */
  get inFlight(): number {
    return this.flying;
  }

  set inFlight(n: number) {
    this.tally.total += n - this.flying;
    this.flying = n;
  }

  /** Jobs of this queue in memory: active, delayed and in flight. */
  get resident(): number {
    return this.active.length + this.delayed.size + this.flying;
  }

  /** Jobs of this queue in the swap file. */
  get swapped(): number {
    return this.swappedActive + this.swappedDelayed;
  }

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
    this.reception.add(job.receivedAt, job.recipients.length);
  }

  /** A job leaves this queue for good (finished, failed, moved out). */
  leave(job: DeliveryJob): void {
    this.jobs--;
    this.reception.remove(job.receivedAt, job.recipients.length);
  }

  /** A job that stays lost some recipients (delivered or failed): for `queue shape`. */
  shrink(job: DeliveryJob, remaining: number): void {
    this.reception.shrink(job.receivedAt, job.recipients.length - remaining);
  }

  /** Recipients of this queue by age (`queue shape`): O(buckets), bounded whatever the queue's size. */
  shape(now: number, bounds: readonly number[]): { recipients: number; byAge: number[] } {
    return this.reception.shape(now, bounds);
  }

  /**
   * Reception time of the oldest job, to its bucket's start (a second; coarser for a queue received
   * over hours), 0 when none.
   */
  get oldestReceivedAt(): number {
    return this.reception.oldest();
  }

  get isEmpty(): boolean {
    return this.active.length === 0 && this.delayed.size === 0 && this.flying === 0 && this.swapped === 0;
  }

  /** The due time of the first delayed job, if any. */
  get nextDue(): number | undefined {
    return this.delayed.peek()?.at;
  }
}
