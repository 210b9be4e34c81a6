/**
 * The queue manager service (ARCHITECTURE.md "One message's way" steps 4 and 6; reference §5).
 * Per (binding, domain): an active FIFO and a delayed heap; one timer for all delayed queues;
 * `queue.take` hands out active jobs; outcomes come back on `delivery.attempted`.
 */
import type {
  DeliveryAttempt,
  DeliveryJob,
  DeliveryOptions,
  DeliveryReleased,
  JobRecipient,
  MessageRouted,
  ReplyData,
  Service,
  ServiceContext,
  TakeRequest,
} from '@petrel/core';
import { defaultConnectionGoal, type ConnectionGoalFn } from './connection-goal.js';
import { DemandCoalescer } from './demand.js';
import { DestinationQueue } from './destination-queue.js';
import { DueTimer } from './due-timer.js';
import { QUEUE_REPLIES } from './replies.js';
import { decideRetry, expiresAt } from './retry.js';

/** Options of the queue manager beyond the config file. */
export interface QueueManagerOptions {
  /** Replaces the default connection goal (Momentum's `connection_goal` hook). */
  readonly connectionGoal?: ConnectionGoalFn;
  /**
   * Fraction in [0, 1) by which a retry wait may be shortened at random, to spread a bulk
   * requeue. Default 0: the schedule is exact (reference §4).
   */
  readonly retryJitter?: number;
  /** Random source for the jitter, in [0, 1). */
  readonly random?: () => number;
}

/** One (binding, domain) as the CLI shows it. */
export interface QueueCounts {
  readonly binding: string;
  readonly domain: string;
  readonly active: number;
  readonly delayed: number;
  readonly inFlight: number;
  /** Reception time (epoch ms) of the oldest job in any of the three; undefined when none. */
  readonly oldestReceivedAt: number | undefined;
}

interface InFlight {
  readonly job: DeliveryJob;
  readonly queue: DestinationQueue;
}

/**
 * The queue manager service. Construct with a ServiceContext; `start()` subscribes to the bus.
 * Jobs that are due go to their active queue; the rest wait in the delayed queue for the one timer.
 */
export class QueueManager implements Service {
  readonly name = 'queue';
  /** binding → domain → queue: two lookups on the caller's strings, no key to build per take. */
  private readonly queues = new Map<string, Map<string, DestinationQueue>>();
  private readonly inFlight = new Map<string, InFlight>();
  private readonly timer: DueTimer;
  private readonly demand: DemandCoalescer;
  private readonly goal: ConnectionGoalFn;
  private readonly undo: (() => void)[] = [];
  private readonly jitter: number;
  private readonly random: () => number;
  private seq = 0;

  constructor(
    private readonly ctx: ServiceContext,
    options: QueueManagerOptions = {},
  ) {
    const jitter = options.retryJitter ?? 0;
    if (!(jitter >= 0 && jitter < 1)) throw new RangeError(`retryJitter must be in [0, 1), got ${jitter}`);
    this.jitter = jitter;
    this.random = options.random ?? Math.random;
    this.goal = options.connectionGoal ?? defaultConnectionGoal;
    this.timer = new DueTimer(ctx.clock, (q, now) => this.onDue(q, now));
    this.demand = new DemandCoalescer((q) => this.publishDemand(q));
  }

  async start(): Promise<void> {
    const { bus } = this.ctx;
    this.undo.push(
      bus.subscribe('message.routed', (ev) => this.onRouted(ev)),
      bus.subscribe('delivery.attempted', (ev) => this.onAttempted(ev)),
      bus.subscribe('delivery.released', (ev) => this.onReleased(ev)),
      bus.handle('queue.take', (req) => this.take(req)),
    );
  }

  async stop(): Promise<void> {
    for (const off of this.undo.splice(0)) off();
    this.timer.stop();
    this.demand.stop();
  }

  /** Per-(binding, domain) counts for the CLI. O(jobs) for oldestReceivedAt; not for the hot path. */
  counts(): QueueCounts[] {
    const oldest = new Map<DestinationQueue, number>();
    const see = (q: DestinationQueue, job: DeliveryJob): void => {
      const o = oldest.get(q);
      if (o === undefined || job.receivedAt < o) oldest.set(q, job.receivedAt);
    };
    for (const { job, queue } of this.inFlight.values()) see(queue, job);
    const out: QueueCounts[] = [];
    for (const q of this.allQueues()) {
      for (const job of q.active) see(q, job);
      for (const e of q.delayed.values()) see(q, e.job);
      out.push({ binding: q.binding, domain: q.domain, active: q.active.length, delayed: q.delayed.size, inFlight: q.inFlight, oldestReceivedAt: oldest.get(q) });
    }
    return out;
  }

  private onRouted(ev: MessageRouted): void {
    const now = this.ctx.clock.now();
    for (const job of ev.jobs) {
      const q = this.queueFor(job.binding, job.domain);
      const policy = q.policy(this.ctx.config.delivery);
      if (policy.suspend_delivery) this.park(q, job, policy, now);
      else if (job.nextAttemptAt > now) this.delay(q, job, Math.min(job.nextAttemptAt, expiresAt(job.receivedAt, policy)));
      // A recovered job whose time came while we were down is due now: same expiry rule as onDue.
      else if (now >= expiresAt(job.receivedAt, policy)) this.fail(job, job.recipients, QUEUE_REPLIES.maxTime, job.lastReply);
      else this.activate(q, job, 'back');
    }
  }

  private take(req: TakeRequest): DeliveryJob | null {
    const q = this.queues.get(req.binding)?.get(req.domain);
    if (q === undefined || q.policy(this.ctx.config.delivery).suspend_delivery) return null;
    const job = q.active.shift();
    if (job === undefined) return null;
    q.inFlight++;
    this.inFlight.set(job.id, { job, queue: q });
    return job;
  }

  private onAttempted(a: DeliveryAttempt): void {
    const job = a.job;
    const q = this.landed(job);
    const remaining = unsettled(job.recipients, a);
    if (remaining.length > 0) {
      const reply = a.outcomes.find((o) => o.status === 'transient')?.reply ?? job.lastReply;
      this.requeue(q, job, remaining, reply);
    }
    this.dropIfEmpty(q);
  }

  private onReleased({ job }: DeliveryReleased): void {
    const q = this.landed(job);
    const policy = q.policy(this.ctx.config.delivery);
    // Handed back untried: no attempt counted, and it goes first so that order is kept.
    if (policy.suspend_delivery) this.park(q, job, policy, this.ctx.clock.now());
    else this.activate(q, job, 'front');
  }

  /** Moves the queue's due jobs to active (or fails the expired), then re-schedules it. */
  private onDue(q: DestinationQueue, now: number): void {
    const policy = q.policy(this.ctx.config.delivery);
    for (let e = q.delayed.peek(); e !== undefined && e.at <= now; e = q.delayed.peek()) {
      q.delayed.pop();
      const job = e.job;
      // Reference §4: mail that comes due past its lifetime (e.g. held by a suspension) fails.
      if (now >= expiresAt(job.receivedAt, policy)) this.fail(job, job.recipients, QUEUE_REPLIES.maxTime, job.lastReply);
      else if (policy.suspend_delivery) this.park(q, job, policy, now);
      else this.activate(q, job, 'back');
    }
    const next = q.nextDue;
    if (next !== undefined) this.timer.schedule(q, next);
    this.dropIfEmpty(q);
  }

  private requeue(q: DestinationQueue, job: DeliveryJob, recipients: readonly JobRecipient[], reply: ReplyData | undefined): void {
    const policy = q.policy(this.ctx.config.delivery);
    const now = this.ctx.clock.now();
    const decision = decideRetry({ attempts: job.attempts, receivedAt: job.receivedAt, now, policy, jitter: this.jitter, random: this.random });
    if (decision.kind === 'fail') {
      this.fail({ ...job, attempts: decision.attempts }, recipients, decision.reply, reply);
      return;
    }
    const lastReply = reply ?? QUEUE_REPLIES.noOutcome;
    const next: DeliveryJob = { ...job, recipients, attempts: decision.attempts, nextAttemptAt: decision.nextAttemptAt, lastReply };
    this.delay(q, next, decision.nextAttemptAt);
    this.ctx.bus.publish('delivery.deferred', { job: next, attempts: decision.attempts, nextAttemptAt: decision.nextAttemptAt, reply: lastReply });
  }

  /** Publishes the final failure of some of a job's recipients; the job leaves the queue. */
  private fail(job: DeliveryJob, recipients: readonly JobRecipient[], reply: ReplyData, lastReply: ReplyData | undefined): void {
    const failed: DeliveryJob = { ...job, recipients, ...(lastReply !== undefined ? { lastReply } : {}) };
    this.ctx.bus.publish('delivery.failed', { job: failed, indexes: recipients.map((r) => r.index), reply, reason: 'expiration' });
  }

  private activate(q: DestinationQueue, job: DeliveryJob, end: 'front' | 'back'): void {
    if (end === 'front') q.active.pushFront(job);
    else q.active.pushBack(job);
    this.demand.mark(q);
  }

  private delay(q: DestinationQueue, job: DeliveryJob, at: number): void {
    q.delayed.push({ at, seq: this.seq++, job });
    this.timer.schedule(q, at);
  }

  /**
   * A suspended destination holds its mail in the delayed queue, counted but never handed out.
   * It is looked at again after retry_interval (or at its next attempt, if later), and exactly at
   * expiry, so that held mail still expires on time.
   */
  private park(q: DestinationQueue, job: DeliveryJob, policy: DeliveryOptions, now: number): void {
    const recheck = Math.max(job.nextAttemptAt, now + Math.max(policy.retry_interval, 1));
    this.delay(q, job, Math.min(recheck, expiresAt(job.receivedAt, policy)));
  }

  /** A job came back from a connection: it is no longer in flight. */
  private landed(job: DeliveryJob): DestinationQueue {
    const entry = this.inFlight.get(job.id);
    if (entry === undefined) return this.queueFor(job.binding, job.domain);
    this.inFlight.delete(job.id);
    entry.queue.inFlight--;
    // The queue may have been dropped and re-created meanwhile; keep using the live one.
    return this.queueFor(job.binding, job.domain);
  }

  private publishDemand(q: DestinationQueue): void {
    const policy = q.policy(this.ctx.config.delivery);
    if (policy.suspend_delivery) return;
    const max = policy.max_outbound_connections;
    const raw = this.goal({
      binding: q.binding,
      domain: q.domain,
      active: q.active.length,
      inFlight: q.inFlight,
      maxOutboundConnections: max,
      aggressiveness: policy.connection_allocation_aggressiveness,
    });
    const goal = Number.isFinite(raw) ? Math.min(Math.max(Math.floor(raw), 0), max) : 0;
    this.ctx.bus.publish('queue.demand', { binding: q.binding, domain: q.domain, active: q.active.length, goal });
  }

  private queueFor(binding: string, domain: string): DestinationQueue {
    let byDomain = this.queues.get(binding);
    if (byDomain === undefined) {
      byDomain = new Map();
      this.queues.set(binding, byDomain);
    }
    let q = byDomain.get(domain);
    if (q === undefined) {
      q = new DestinationQueue(binding, domain);
      byDomain.set(domain, q);
    }
    return q;
  }

  private *allQueues(): IterableIterator<DestinationQueue> {
    for (const byDomain of this.queues.values()) yield* byDomain.values();
  }

  /** Forgets an empty queue, so that a million one-off domains do not stay in memory. */
  private dropIfEmpty(q: DestinationQueue): void {
    if (!q.isEmpty) return;
    const byDomain = this.queues.get(q.binding);
    if (byDomain?.get(q.domain) !== q) return;
    byDomain.delete(q.domain);
    if (byDomain.size === 0) this.queues.delete(q.binding);
  }
}

/**
 * The recipients still to deliver after an attempt: transient outcomes, and (at-least-once)
 * any recipient outbound reported nothing for. Returns the job's own array when all remain.
 */
function unsettled(recipients: readonly JobRecipient[], a: DeliveryAttempt): readonly JobRecipient[] {
  const outcomes = a.outcomes;
  const keep = (r: JobRecipient, i: number): boolean => {
    // Outbound reports outcomes in job order; look there first, then search.
    const o = outcomes[i]?.index === r.index ? outcomes[i] : outcomes.find((x) => x.index === r.index);
    return o === undefined || o.status === 'transient';
  };
  let out: JobRecipient[] | undefined;
  for (let i = 0; i < recipients.length; i++) {
    const r = recipients[i]!;
    if (keep(r, i)) out?.push(r);
    else out ??= recipients.slice(0, i);
  }
  return out ?? recipients;
}
