/**
 * One timer for every delayed queue (ARCHITECTURE.md "queue": no polling scans). A global
 * min-heap holds (due time, queue) entries; the clock's single timer is armed at the top entry.
 * When it fires, each due queue is handed to `onDue`, which moves its due jobs and re-schedules.
 *
 * A queue keeps `armedAt` = the earliest time it has an entry for, and only pushes an entry for
 * an earlier time; later stale entries cost one no-op visit when they come up.
 */
import type { Clock, TimerHandle } from '@petrel/core';
import type { DestinationQueue } from './destination-queue.js';
import { MinHeap } from './min-heap.js';

interface DueEntry {
  readonly at: number;
  readonly seq: number;
  readonly queue: DestinationQueue;
}

export class DueTimer {
  private readonly heap = new MinHeap<DueEntry>((a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq));
  private seq = 0;
  private handle: TimerHandle | undefined;
  private armedFor = Infinity;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly onDue: (queue: DestinationQueue, now: number) => void,
  ) {}

  /** Makes sure the queue is visited at `at` or earlier. */
  schedule(queue: DestinationQueue, at: number): void {
    if (at >= queue.armedAt) return;
    queue.armedAt = at;
    this.heap.push({ at, seq: this.seq++, queue });
    this.rearm();
  }

  stop(): void {
    this.stopped = true;
    this.clock.clearTimer(this.handle);
    this.handle = undefined;
    this.armedFor = Infinity;
  }

  private fire(): void {
    this.handle = undefined;
    this.armedFor = Infinity;
    const now = this.clock.now();
    for (let top = this.heap.peek(); top !== undefined && top.at <= now; top = this.heap.peek()) {
      this.heap.pop();
      if (top.queue.armedAt === top.at) top.queue.armedAt = Infinity;
      this.onDue(top.queue, now);
    }
    this.rearm();
  }

  private rearm(): void {
    if (this.stopped) return;
    const top = this.heap.peek();
    if (top === undefined) {
      this.clock.clearTimer(this.handle);
      this.handle = undefined;
      this.armedFor = Infinity;
      return;
    }
    if (top.at === this.armedFor) return;
    this.clock.clearTimer(this.handle);
    this.armedFor = top.at;
    this.handle = this.clock.setTimer(Math.max(0, top.at - this.clock.now()), () => this.fire());
  }
}
