/**
 * The connections of one (binding, domain). Sizes itself to the queue's connection goal, capped by
 * max_outbound_connections and the service-wide cap; hands new work to idle connections first, so
 * a demand on a warm key costs no reconnect (Momentum reference §5).
 */
import type { Clock, TimerHandle } from '@petrel/core';
import type { ConnectionEnd, IdleWake } from './connection.js';

/** What the pool needs from the service: connection slots under the global cap, and spawning. */
export interface PoolHost {
  readonly clock: Clock;
  /** Takes one slot under the global cap; false when the cap is reached. */
  acquireSlot(): boolean;
  releaseSlot(): void;
  /** Starts a connection for the pool; resolves when it ends. Its slot is freed by the pool. */
  startConnection(pool: Pool): Promise<ConnectionEnd>;
  /** A connection of `pool` ended and its slot is free: starved pools may use it. */
  slotFreed(pool: Pool): void;
  /** The pool wanted a connection and the global cap refused it. */
  starved(pool: Pool): void;
  /** The pool's demand is met (its queue was found empty): it no longer waits for a slot. */
  satisfied(pool: Pool): void;
  maxConnections(binding: string, domain: string): number;
  readonly isStopping: () => boolean;
}

interface Waiter {
  readonly resolve: (w: IdleWake) => void;
  timer?: TimerHandle;
}

export class Pool {
  /** Connections wanted in total (the last demand's goal). */
  goal = 0;
  private open = 0;
  private readonly waiters: Waiter[] = [];

  constructor(
    readonly binding: string,
    readonly domain: string,
    private readonly host: PoolHost,
  ) {}

  /** Connections open or opening. */
  get size(): number {
    return this.open;
  }

  /** Connections idle, waiting for work. */
  get idle(): number {
    return this.waiters.length;
  }

  /** The pool's ceiling: the goal, never above max_outbound_connections. */
  get limit(): number {
    return Math.min(this.goal, this.host.maxConnections(this.binding, this.domain));
  }

  /**
   * A queue.demand for this key: idle connections pick the work up at once; more open while the
   * pool is under its limit, at most one per job not already covered by a woken idle one.
   */
  demand(goal: number, active: number): void {
    this.goal = goal;
    if (active <= 0) return;
    const woken = this.wake(active);
    this.fill(active - woken);
  }

  /** Opens connections up to the limit (at most `budget`); returns how many opened. */
  fill(budget: number = Infinity): number {
    let opened = 0;
    while (opened < budget && this.open < this.limit && !this.host.isStopping()) {
      if (!this.host.acquireSlot()) {
        this.host.starved(this);
        break;
      }
      this.open++;
      opened++;
      void this.host.startConnection(this).then(
        (end) => this.ended(end),
        () => this.ended('recycle'),
      );
    }
    return opened;
  }

  /** Parks an idle connection until work, timeout or stop. */
  idleWait(ms: number): Promise<IdleWake> {
    if (this.host.isStopping()) return Promise.resolve('stop');
    return new Promise<IdleWake>((resolve) => {
      const w: Waiter = {
        resolve: (wake) => {
          this.host.clock.clearTimer(w.timer);
          const i = this.waiters.indexOf(w);
          if (i >= 0) this.waiters.splice(i, 1);
          resolve(wake);
        },
      };
      w.timer = this.host.clock.setTimer(ms, () => w.resolve('timeout'));
      this.waiters.push(w);
    });
  }

  /** Wakes up to `n` idle connections, longest-idle first; returns how many woke. */
  wake(n: number): number {
    const batch = this.waiters.slice(0, Math.max(0, n));
    for (const w of batch) w.resolve('work');
    return batch.length;
  }

  /** Tells every idle connection to QUIT (service stop). */
  stopIdle(): void {
    for (const w of [...this.waiters]) w.resolve('stop');
  }

  private ended(end: ConnectionEnd): void {
    this.open--;
    this.host.releaseSlot();
    // The connection saw the active queue empty (or drained it): the demand is met until the queue
    // publishes a new one. Without this a pool starved by the global cap would keep reopening
    // connections that find nothing to take.
    if (end === 'empty' || end === 'idle' || end === 'failed') {
      this.goal = 0;
      this.host.satisfied(this);
    }
    // The next job goes to a fresh connection: the old one broke or hit max_deliveries_per_connection.
    // The new one takes before it connects, so an empty queue costs nothing.
    if (end === 'recycle' || end === 'limit') this.fill(1);
    this.host.slotFreed(this);
  }
}
