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
  /**
   * Starts a connection for the pool; resolves when it ends. Its slot is freed by the pool. The
   * connection parks between jobs with `idleWait` (bound to it, so the pool knows who is closing).
   */
  startConnection(pool: Pool, idleWait: (ms: number) => Promise<IdleWake>): Promise<ConnectionEnd>;
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

/** The pool's view of one of its connections. */
interface Member {
  /** Its idle wait ended without work (idle_timeout or stop): it will QUIT and take nothing more. */
  closing: boolean;
  /** The demand count when it last found the queue empty (its start, or the start of an idle wait). */
  lookedAt: number;
}

export class Pool {
  /** Connections wanted in total (the last demand's goal). */
  goal = 0;
  private open = 0;
  /** Of `open`, those that will take no more work (QUIT in progress). */
  private closing = 0;
  /** queue.demand events seen: a connection that ends idle or empty checks none came after it looked. */
  private demands = 0;
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
    this.demands++;
    if (active <= 0) return;
    const woken = this.wake(active);
    this.fill(active - woken);
  }

  /**
   * Opens connections up to the limit (at most `budget`); returns how many opened. A connection
   * that is closing counts against the global cap (it holds its slot) but not against the pool's
   * limit: it will never take the work this fill is for.
   */
  fill(budget: number = Infinity): number {
    let opened = 0;
    while (opened < budget && this.open - this.closing < this.limit && !this.host.isStopping()) {
      if (!this.host.acquireSlot()) {
        this.host.starved(this);
        break;
      }
      this.open++;
      opened++;
      const member: Member = { closing: false, lookedAt: this.demands };
      void this.host
        .startConnection(this, (ms) => this.idleWait(member, ms))
        .then(
          (end) => this.ended(member, end),
          () => this.ended(member, 'recycle'),
        );
    }
    return opened;
  }

  /** Parks an idle connection until work, timeout or stop. */
  private idleWait(member: Member, ms: number): Promise<IdleWake> {
    // The connection just found the queue empty: only a demand after this is news to it.
    member.lookedAt = this.demands;
    if (this.host.isStopping()) return Promise.resolve(this.leaving(member, 'stop'));
    return new Promise<IdleWake>((resolve) => {
      const w: Waiter = {
        resolve: (wake) => {
          this.host.clock.clearTimer(w.timer);
          const i = this.waiters.indexOf(w);
          if (i >= 0) this.waiters.splice(i, 1);
          resolve(this.leaving(member, wake));
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

  /**
   * Tells every idle connection to QUIT as if its idle_timeout passed (config reload: they were
   * opened on the old route); the pool opens new ones for the next demand.
   */
  closeIdle(): void {
    for (const w of [...this.waiters]) w.resolve('timeout');
  }

  /** Tells every idle connection to QUIT (service stop). */
  stopIdle(): void {
    for (const w of [...this.waiters]) w.resolve('stop');
  }

  /** A wake other than 'work' means the connection goes: from now on it is no capacity. */
  private leaving(member: Member, wake: IdleWake): IdleWake {
    if (wake !== 'work' && !member.closing) {
      member.closing = true;
      this.closing++;
    }
    return wake;
  }

  private ended(member: Member, end: ConnectionEnd): void {
    this.open--;
    if (member.closing) this.closing--;
    this.host.releaseSlot();
    const missed = this.demands !== member.lookedAt;
    if ((end === 'empty' || end === 'idle' || end === 'failed') && !missed) {
      // The connection saw the active queue empty (or drained it) and no demand came since: the
      // demand is met until the queue publishes a new one. Without this a pool starved by the
      // global cap would keep reopening connections that find nothing to take.
      this.goal = 0;
      this.host.satisfied(this);
    }
    // The next job goes to a fresh connection: the old one broke or hit max_deliveries_per_connection,
    // or it was leaving (idle timeout, empty queue) when a demand came that it will never serve.
    // The new one takes before it connects, so an empty queue costs nothing; fill() keeps to the goal.
    if (end === 'recycle' || end === 'limit' || (missed && end !== 'stopped')) this.fill(1);
    this.host.slotFreed(this);
  }
}
