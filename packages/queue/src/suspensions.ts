/**
 * Operator suspensions (Momentum `config set … suspend_delivery true`, Petrel `petrel suspend`):
 * per domain, per binding, per binding::domain or everything, optionally timed and with a reason. Mail of a
 * suspended destination stays queued and counted; nothing is handed to a connection. This module
 * owns all of it: the table, the timers of timed suspensions, holding active mail when one starts
 * and releasing held mail when one ends; it reaches the queues only through QueueAccess.
 *
 * A lookup is three Map probes; queues cache the answer against `generation`, which changes on
 * every suspend or resume, so the hot path (`queue.take`) pays one integer compare.
 *
 * In a cluster (docs/scaling.md) a SuspensionShare is given: what is set or lifted here is told to
 * the other nodes, and what they set or lift arrives through the SuspensionApply this module
 * attaches (applied locally, never told back).
 */
import {
  PetrelError,
  type QueueSelector,
  type Requests,
  type Suspension,
  type SuspensionApply,
  type SuspensionShare,
  type TimerHandle,
} from '@petrel/core';
import type { DelayedEntry } from './destination-queue.js';
import type { QueueAccess } from './queue-access.js';
import { expiresAt } from './retry.js';

const key = (binding: string | undefined, domain: string | undefined): string =>
  `${binding ?? ''}\u0000${domain ?? ''}`;
const bySeq = (a: DelayedEntry, b: DelayedEntry): number => a.seq - b.seq;

export class Suspensions {
  private readonly byKey = new Map<string, Suspension>();
  private readonly timers = new Map<Suspension, TimerHandle>();
  private gen = 0;

  constructor(
    private readonly q: QueueAccess,
    private readonly share?: SuspensionShare,
  ) {}

  /** Starts taking the other nodes' changes (cluster); returns the detach. */
  attachShare(): () => void {
    if (!this.share) return () => undefined;
    const apply: SuspensionApply = {
      suspend: (s) => {
        if (s.until === undefined || s.until > this.q.clock.now()) this.set(s);
      },
      resume: (sel) => void this.lift(sel),
      reconcile: (all) => this.reconcile(all),
      current: () => this.list(),
    };
    return this.share.attach(apply);
  }

  /** Changes whenever a suspension is added or removed. */
  get generation(): number {
    return this.gen;
  }

  /** True when a suspension covers (binding, domain). */
  covers(binding: string, domain: string): boolean {
    if (this.byKey.size === 0) return false;
    return (
      this.byKey.has(key(binding, domain)) ||
      this.byKey.has(key(binding, undefined)) ||
      this.byKey.has(key(undefined, domain)) ||
      this.byKey.has(key(undefined, undefined))
    );
  }

  list(): Suspension[] {
    return [...this.byKey.values()];
  }

  /** `queue.suspend`: sets (or replaces) the suspension of the selector; its active mail is held at once. */
  suspend(req: Requests['queue.suspend']['payload']): { suspension: Suspension } {
    const now = this.q.clock.now();
    const duration = req.until !== undefined ? req.until - now : req.durationMs;
    if (duration !== undefined && !(duration > 0)) {
      throw new PetrelError(
        'PETREL_ERR_QUEUE_ARGUMENT',
        `a suspension's duration must be positive, got ${duration} ms`,
        { durationMs: duration },
      );
    }
    const suspension: Suspension = {
      ...(req.binding !== undefined ? { binding: req.binding } : {}),
      ...(req.domain !== undefined ? { domain: req.domain.toLowerCase() } : {}),
      ...(req.reason !== undefined ? { reason: req.reason } : {}),
      ...(req.source !== undefined && req.source !== 'operator' ? { source: req.source } : {}),
      ...(req.rule !== undefined ? { rule: req.rule } : {}),
      // A suspension restored from the store keeps its start (docs/shaping.md).
      since: req.since ?? now,
      ...(req.until !== undefined ? { until: req.until } : duration !== undefined ? { until: now + duration } : {}),
    };
    this.set(suspension);
    // A suspension restored from this node's store at start (`since` given) is not told to the
    // cluster: it may have been lifted cluster-wide while this node was down, and the cluster's
    // reconcile is the word on that (it lifts it here if the cluster no longer has it).
    if (req.since === undefined) this.share?.suspended(suspension);
    return { suspension };
  }

  /** Puts a suspension in force here (replacing the selector's prior one) and holds its active mail. */
  private set(suspension: Suspension): void {
    const now = this.q.clock.now();
    const prior = this.remove(suspension.binding, suspension.domain);
    if (prior) this.clearTimer(prior);
    this.byKey.set(key(suspension.binding, suspension.domain), suspension);
    this.gen++;
    if (suspension.until !== undefined) {
      this.timers.set(
        suspension,
        this.q.clock.setTimer(Math.max(1, suspension.until - now), () => {
          this.timers.delete(suspension);
          if (this.expire(suspension)) {
            this.announce('expired', suspension);
            this.release(suspension);
          }
        }),
      );
    }
    this.announce('set', suspension);
    // Active mail of the suspended queues is held at once (Momentum: it stays queued).
    for (const q of this.q.select(suspension)) {
      if (!this.q.isHeld(q)) continue;
      for (let job = q.active.shift(); job !== undefined; job = q.active.shift()) this.q.hold(q, job, now);
    }
  }

  /** `queue.resume`: lifts the suspension set exactly for the selector; held mail of queues now free goes active. */
  resume(sel: QueueSelector): { resumed: number } {
    const out = this.lift(sel);
    this.share?.resumed({
      ...(sel.binding !== undefined ? { binding: sel.binding } : {}),
      ...(sel.domain !== undefined ? { domain: sel.domain.toLowerCase() } : {}),
    });
    return out;
  }

  /**
   * The cluster's full set of suspensions (a periodic re-read): what is here and not there was
   * lifted on another node; what is there and differs here was set on another node.
   */
  private reconcile(all: readonly Suspension[]): void {
    const wanted = new Map(all.map((s) => [key(s.binding, s.domain), s]));
    for (const [k, s] of [...this.byKey]) if (!wanted.has(k)) this.lift(s);
    const now = this.q.clock.now();
    for (const [k, s] of wanted) {
      const cur = this.byKey.get(k);
      const same = cur && cur.since === s.since && cur.until === s.until && cur.reason === s.reason;
      if (!same && (s.until === undefined || s.until > now)) this.set(s);
    }
  }

  /** Lifts the suspension set exactly for the selector, here only. */
  private lift(sel: QueueSelector): { resumed: number } {
    const s = this.remove(sel.binding, sel.domain?.toLowerCase());
    if (s === undefined) return { resumed: 0 };
    this.clearTimer(s);
    this.announce('lifted', s);
    // What really went back to active: mail failed or rerouted while held is gone, and held mail
    // with a future retry time goes to delayed, so neither is counted.
    return { resumed: this.release(s) };
  }

  /** `queue.suspension`: the shaping service stores and logs every change (docs/shaping.md). */
  private announce(change: 'set' | 'lifted' | 'expired', suspension: Suspension): void {
    this.q.bus.publish('queue.suspension', { time: this.q.clock.now(), change, suspension });
  }

  stop(): void {
    for (const h of this.timers.values()) this.q.clock.clearTimer(h);
    this.timers.clear();
  }

  /** Removes the suspension set exactly for (binding, domain); returns it, if there was one. */
  private remove(binding: string | undefined, domain: string | undefined): Suspension | undefined {
    const k = key(binding, domain);
    const s = this.byKey.get(k);
    if (s === undefined) return undefined;
    this.byKey.delete(k);
    this.gen++;
    return s;
  }

  /** Removes `s` if it is still the one in force for its selector (a timed suspension ending). */
  private expire(s: Suspension): boolean {
    const k = key(s.binding, s.domain);
    if (this.byKey.get(k) !== s) return false;
    this.byKey.delete(k);
    this.gen++;
    return true;
  }

  /**
   * After `petrel config reload`: suspend_delivery may have changed for any queue, and the
   * connection goal with max_outbound_connections or a throttle. Queues now held park their
   * active mail; queues now free release their held mail at once (as a resume does), and every
   * queue with work asks for connections again under the new limits.
   */
  reloaded(): void {
    const now = this.q.clock.now();
    for (const q of [...this.q.select({})]) {
      if (this.q.isHeld(q)) {
        for (let job = q.active.shift(); job !== undefined; job = q.active.shift()) this.q.hold(q, job, now);
      }
      // A throttle wake-up scheduled under the old rate must not wait for it.
      q.throttleWakeAt = Infinity;
    }
    this.release({});
  }

  /** After a suspension ended: held mail of the queues it covered, and that are now free, goes active. */
  /** Returns the jobs made active (mail failed or rerouted while held is gone and is not counted). */
  private release(s: { readonly binding?: string; readonly domain?: string }): number {
    const now = this.q.clock.now();
    const resolver = this.q.config().delivery;
    let activated = 0;
    for (const q of [...this.q.select(s)]) {
      if (this.q.isHeld(q)) continue;
      const policy = q.policy(resolver);
      const held = q.delayed.removeWhere((e) => e.held).sort(bySeq);
      for (const e of held) {
        const job = e.job;
        if (job.nextAttemptAt > now)
          this.q.delay(q, job, Math.min(job.nextAttemptAt, expiresAt(job.receivedAt, policy)));
        else {
          this.q.activate(q, job, 'back');
          activated++;
        }
      }
      this.q.touch(q);
    }
    return activated;
  }

  private clearTimer(s: Suspension): void {
    const h = this.timers.get(s);
    if (h) this.q.clock.clearTimer(h);
    this.timers.delete(s);
  }
}
