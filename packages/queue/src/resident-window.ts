/**
 * The resident window (Momentum's `max_resident_active_queue` per queue and `max_resident_messages`
 * for the whole process, reference §3): at most that many jobs of a queue, and of all queues
 * together, are in memory (active + delayed + in flight); the rest wait in the swap file
 * (swap-store.ts) and are paged back in (due-time order) as the queue drains. Counts stay exact:
 * each queue counts its swapped jobs.
 *
 * When a job is paged in, how often, and what it costs:
 * - a queue pages in when its active FIFO ran dry or half its window is free (one indexed range
 *   read of up to a window of jobs, never a scan);
 * - a due job that meets a window full of delayed jobs evicts one of the delayed ones (a heap leaf,
 *   O(1)) instead of waiting behind them; the due timer visits a queue at its earliest swapped due
 *   time only when it also holds delayed jobs, so no timer runs per swapped job;
 * - when the process-wide cap is what is full, the queue waits in a round-robin list and is paged
 *   in as jobs of any queue leave memory.
 */
import type { DeliveryJob, DeliveryOptions, Logger, PetrelConfig } from '@petrel/core';
import type { DestinationQueue, Residency } from './destination-queue.js';
import { SwapStore, type SwapKind, type SwappedJob } from './swap-store.js';

/** What the window needs of the queue manager. */
export interface WindowHost {
  readonly logger: Logger;
  config(): PetrelConfig;
  now(): number;
  /** Where the swap file lives (spool_dir unless the manager's options say otherwise). */
  swapDir(): string;
  nextSeq(): number;
  isHeld(q: DestinationQueue): boolean;
  /** Puts a job (already counted in its queue) into memory: active, delayed, held or expired. */
  place(q: DestinationQueue, job: DeliveryJob, now: number): void;
  schedule(q: DestinationQueue, at: number): void;
  /** Epoch ms at which a job of `q` received at `receivedAt` expires (message_expiration). */
  expiry(q: DestinationQueue, receivedAt: number): number;
  /** A job taken out of `q` expired: it leaves the queue with 554 5.4.7. */
  expire(q: DestinationQueue, job: DeliveryJob): void;
}

export class ResidentWindow {
  private store: SwapStore | undefined;
  /** Queues with swapped jobs that the process-wide cap kept out, in the order they asked. */
  private readonly hungry = new Set<DestinationQueue>();
  /** The last swap write failed (logged once until one succeeds). */
  private failing = false;

  constructor(
    private readonly host: WindowHost,
    private readonly residency: Residency,
  ) {}

  /** Jobs in memory across all queues (active + delayed + in flight). */
  get resident(): number {
    return this.residency.total;
  }

  /** Removes a swap file a previous process left (its jobs come back through recovery). */
  reset(): void {
    try {
      SwapStore.remove(this.host.swapDir());
    } catch {
      // A missing or unwritable directory: the store will say so when it is first needed.
    }
  }

  close(): void {
    this.store?.close(this.host.swapDir());
    this.store = undefined;
  }

  /**
   * A job comes into its queue: true when it may stay in memory (the caller places it), false
   * when it went to the swap file. A due job evicts a later delayed one rather than queue behind it.
   */
  admits(q: DestinationQueue, job: DeliveryJob, policy: DeliveryOptions, now: number): boolean {
    if (q.swapped === 0 && this.room(q, policy) > 0) return true;
    const due = job.nextAttemptAt <= now && !this.host.isHeld(q);
    if (due && q.swapped === 0 && this.evict(q, now, 1) > 0) return true;
    // A swap file that cannot be written keeps the job in memory: over the window, never lost.
    if (!this.swapOut(q, job, job.nextAttemptAt, due ? 'active' : 'delayed')) return true;
    if (this.room(q, policy) > 0) this.pageIn(q);
    return false;
  }

  /**
   * `q` was released (a resume, a reload that lifted suspend_delivery): its swapped mail that is due
   * was counted as delayed while held, and counts as active from now on.
   */
  released(q: DestinationQueue, now: number): void {
    if (q.swappedDelayed === 0 || this.store === undefined || this.host.isHeld(q)) return;
    const moved = Math.min(this.store.due(q.swapId, now), q.swappedDelayed);
    q.swappedDelayed -= moved;
    q.swappedActive += moved;
  }

  /** Jobs of `q` left memory: refill it, and any queue the process-wide cap kept waiting. */
  left(q: DestinationQueue): void {
    if (q.swapped > 0) this.pageIn(q);
    if (this.hungry.size > 0) this.pump();
  }

  /** The due timer reached `q`: bring its due swapped jobs in ahead of later delayed ones. */
  due(q: DestinationQueue, now: number, held: boolean): void {
    if (q.swapped === 0) return;
    this.expireSwapped(q, now);
    if (held) {
      this.watchExpiry(q, now);
      return;
    }
    const policy = q.policy(this.host.config().delivery);
    if (q.swapDueAt <= now) this.evict(q, now, Math.ceil(windowOf(policy) / 2) - this.room(q, policy));
    this.pageIn(q, true);
    if (q.swapped > 0 && q.swapDueAt > now && q.swapDueAt !== Infinity && q.delayed.size > 0)
      this.host.schedule(q, q.swapDueAt);
  }

  /**
   * Pages swapped jobs in, up to the room the window leaves. Without `force`, waits until the
   * active FIFO ran dry or half the window is free, so that a draining queue reads in batches.
   */
  pageIn(q: DestinationQueue, force = false): void {
    if (q.swapped === 0 || this.store === undefined) return;
    const policy = q.policy(this.host.config().delivery);
    const room = this.room(q, policy);
    if (room <= 0) {
      if (this.globalRoom() <= 0) this.hungry.add(q);
      return;
    }
    const half = Math.min(q.swapped, Math.ceil(windowOf(policy) / 2));
    if (!force && room < half && q.active.length > 0) return;
    const now = this.host.now();
    for (const s of this.store.take(q.swapId, room)) {
      this.counted(q, s.kind, -1);
      s.job.nextAttemptAt = s.at;
      this.host.place(q, s.job, now);
    }
    q.swapDueAt = q.swapped > 0 ? (this.store.earliest(q.swapId) ?? Infinity) : Infinity;
    if (q.swapped === 0) this.hungry.delete(q);
  }

  /** The queue is gone (empty): nothing of it is waiting any more. */
  forget(q: DestinationQueue): void {
    this.hungry.delete(q);
  }

  /** showqueue: swapped jobs of `q` in due order, without moving them. */
  peek(q: DestinationQueue, offset: number, limit: number): SwappedJob[] {
    if (q.swapped === 0 || this.store === undefined) return [];
    return this.store.peek(q.swapId, offset, limit);
  }

  /** Takes up to `limit` swapped jobs of `q` (of one message, if given) out for good, in due order. */
  unswap(q: DestinationQueue, limit: number, messageId?: string): DeliveryJob[] {
    const store = this.store;
    if (q.swapped === 0 || store === undefined || limit <= 0) return [];
    const out: DeliveryJob[] = [];
    if (messageId === undefined) {
      for (const s of store.take(q.swapId, Math.min(limit, q.swapped))) {
        this.counted(q, s.kind, -1);
        out.push(s.job);
      }
    } else {
      // One message's jobs: read the queue's swapped jobs page by page (an operator action).
      const matches: SwappedJob[] = [];
      for (let offset = 0; offset < q.swapped && matches.length < limit; offset += 1000)
        for (const s of store.peek(q.swapId, offset, 1000)) if (s.job.messageId === messageId) matches.push(s);
      for (const s of matches.slice(0, limit)) {
        if (!store.remove(q.swapId, s)) continue;
        this.counted(q, s.kind, -1);
        out.push(s.job);
      }
    }
    q.swapDueAt = q.swapped > 0 ? (store.earliest(q.swapId) ?? Infinity) : Infinity;
    return out;
  }

  /** A flush: every swapped job of `q` becomes due now; returns how many were delayed. */
  flush(q: DestinationQueue, now: number): number {
    if (q.swapped === 0 || this.store === undefined) return 0;
    const moved = Math.min(this.store.flush(q.swapId, now), q.swappedDelayed);
    q.swappedDelayed -= moved;
    q.swappedActive += moved;
    q.swapDueAt = Math.min(q.swapDueAt, now);
    return moved;
  }

  /**
   * Swapped jobs whose lifetime ended leave with 554 5.4.7 now, also while their queue is held
   * (suspended mail must expire on time, reference §4): read through the (queue, received) index.
   */
  private expireSwapped(q: DestinationQueue, now: number): void {
    const store = this.store;
    if (store === undefined || this.host.expiry(q, q.oldestReceivedAt) > now) return;
    // Every job received at or before `by` has expired (message_expiration is the queue's).
    const by = now - this.host.expiry(q, 0);
    for (let batch = store.takeReceivedBy(q.swapId, by, 1000); ; batch = store.takeReceivedBy(q.swapId, by, 1000)) {
      for (const s of batch) {
        this.counted(q, s.kind, -1);
        this.host.expire(q, s.job);
      }
      if (batch.length < 1000) break;
    }
    q.swapDueAt = q.swapped > 0 ? (store.earliest(q.swapId) ?? Infinity) : Infinity;
  }

  /** A held queue with swapped jobs is visited when its oldest job expires (not before a second from now). */
  private watchExpiry(q: DestinationQueue, now: number): void {
    if (q.swapped > 0) this.host.schedule(q, Math.max(this.host.expiry(q, q.oldestReceivedAt), now + 1000));
  }

  /** Free places in `q`'s window, also bounded by the process-wide cap. */
  private room(q: DestinationQueue, policy: DeliveryOptions): number {
    return Math.min(windowOf(policy) - q.resident, this.globalRoom());
  }

  private globalRoom(): number {
    const cap = this.host.config().max_resident_messages;
    return cap > 0 ? cap - this.residency.total : Infinity;
  }

  /** Writes a job to the swap file; false (logged once) when the file cannot be written. */
  private swapOut(q: DestinationQueue, job: DeliveryJob, at: number, kind: SwapKind): boolean {
    try {
      this.store ??= new SwapStore(this.host.swapDir());
      if (q.swapId === 0) q.swapId = this.store.idOf(q.binding, q.domain);
      this.store.put(q.swapId, at, this.host.nextSeq(), kind, job);
    } catch (err) {
      if (!this.failing) this.host.logger.error({ err }, 'queue: cannot write the swap file; jobs stay in memory');
      this.failing = true;
      return false;
    }
    this.failing = false;
    this.counted(q, kind, 1);
    if (at < q.swapDueAt) q.swapDueAt = at;
    // Only a window holding delayed jobs can hold this one back: visit it when this one is due.
    // A held queue is visited when its oldest job expires, so swapped mail expires on time.
    if (this.host.isHeld(q)) this.watchExpiry(q, this.host.now());
    else if (q.delayed.size > 0) this.host.schedule(q, at);
    return true;
  }

  /** Moves up to `n` delayed jobs due later than `now` and than the swapped ones out to the swap file. */
  private evict(q: DestinationQueue, now: number, n: number): number {
    let moved = 0;
    const after = Math.max(now, q.swapDueAt === Infinity ? now : q.swapDueAt);
    while (moved < n) {
      const leaves = q.delayed.values();
      const last = leaves[leaves.length - 1];
      if (last === undefined || last.held || last.at <= after) break;
      q.delayed.popLast();
      if (!this.swapOut(q, last.job, last.at, 'delayed')) {
        q.delayed.push(last);
        break;
      }
      moved++;
    }
    return moved;
  }

  private counted(q: DestinationQueue, kind: SwapKind, n: number): void {
    if (kind === 'active') q.swappedActive += n;
    else q.swappedDelayed += n;
  }

  /** One waiting queue gets the room that freed up; it goes to the back of the list if still waiting. */
  private pump(): void {
    for (const q of this.hungry) {
      this.hungry.delete(q);
      this.pageIn(q, true);
      return;
    }
  }
}

/** `max_resident_active_queue`; 0 means no limit. */
function windowOf(policy: DeliveryOptions): number {
  const w = policy.max_resident_active_queue;
  return w > 0 ? w : Infinity;
}
