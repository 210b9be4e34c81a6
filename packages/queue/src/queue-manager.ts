/**
 * The queue manager service (ARCHITECTURE.md "One message's way" steps 4 and 6; reference §5).
 * Per (binding, domain): an active FIFO and a delayed heap; one timer for all delayed queues;
 * `queue.take` hands out active jobs; outcomes come back on `delivery.attempted`. Operator
 * actions (counts, flush, fail, reroute, rebind) live in operations.ts, suspensions in
 * suspensions.ts; both reach the queues only through the QueueAccess this manager hands them.
 */
import {
  ThrottleRegistry,
  type DeliveryAttempt,
  type DeliveryJob,
  type DeliveryOptions,
  type DeliveryReleased,
  type JobRecipient,
  type MessageRouted,
  type QueueClusterPorts,
  type QueueCount,
  type QueueSelector,
  type RemoteEndpoint,
  type ReplyData,
  type Service,
  type ServiceContext,
  type ShapingStore,
  type TakeRequest,
} from '@petrel/core';
import { defaultConnectionGoal, type ConnectionGoalFn } from './connection-goal.js';
import { DemandCoalescer } from './demand.js';
import { DestinationQueue, type Residency } from './destination-queue.js';
import { DueTimer } from './due-timer.js';
import { QueueOperations } from './operations.js';
import type { QueueAccess } from './queue-access.js';
import { QUEUE_REPLIES } from './replies.js';
import { ResidentWindow } from './resident-window.js';
import { decideRetry, expiresAt, retryWait } from './retry.js';
import { Suspensions } from './suspensions.js';
import { ShapingGate } from './shaping-gate.js';
import { siteCounts } from './site-counts.js';

/** Options of the queue manager beyond the config file. */
export interface QueueManagerOptions {
  /** Replaces the default connection goal (Momentum's `connection_goal` hook). */
  readonly connectionGoal?: ConnectionGoalFn;
  /**
   * Fraction in [0, 1) by which a retry wait may be shortened at random, to spread a bulk
   * requeue. Default 0: the schedule is exact (reference §4). The config key
   * `delayed_binding_domain_fuzz` (an added random extra) is the operator's knob for the same.
   */
  readonly retryJitter?: number;
  /** Random source for the jitter and fuzz, in [0, 1). */
  readonly random?: () => number;
  /** Shared throttles and suspensions of a cluster (docs/scaling.md); absent on a single node. */
  readonly cluster?: QueueClusterPorts;
  /** Where warm-up counters survive restarts (docs/shaping.md); opened at start. */
  readonly shapingStore?: () => ShapingStore;
  /** Directory of the swap file of the resident window; default spool_dir. */
  readonly swapDir?: string;
}

/** One (binding, domain) as the CLI shows it (the bus type `queue.counts` returns). */
export type QueueCounts = QueueCount;

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
  private readonly ops: QueueOperations;
  private readonly suspensions: Suspensions;
  /** Follows the live config: a reload's new rates apply at once (core's ThrottleRegistry). */
  private readonly throttles: ThrottleRegistry;
  /** Shaping throttles, site throttles and warm-up budgets at take (shaping-gate.ts). */
  private readonly shaping: ShapingGate;
  private shapingStore: ShapingStore | undefined;
  private seq = 0;
  /** Jobs in memory across all queues, kept by the queues' own containers. */
  private readonly residency: Residency = { total: 0 };
  /** max_resident_active_queue / max_resident_messages: the rest waits in the swap file. */
  private readonly window: ResidentWindow;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly options: QueueManagerOptions = {},
  ) {
    const jitter = options.retryJitter ?? 0;
    if (!(jitter >= 0 && jitter < 1)) throw new RangeError(`retryJitter must be in [0, 1), got ${jitter}`);
    this.jitter = jitter;
    this.random = options.random ?? Math.random;
    this.goal = options.connectionGoal ?? defaultConnectionGoal;
    this.timer = new DueTimer(ctx.clock, (q, now) => this.onDue(q, now));
    this.demand = new DemandCoalescer((q) => this.publishDemand(q));
    this.throttles = new ThrottleRegistry(() => ctx.config.delivery, ctx.clock, options.cluster?.throttles);
    this.window = new ResidentWindow(
      {
        logger: ctx.logger,
        config: () => ctx.config,
        now: () => ctx.clock.now(),
        swapDir: () => options.swapDir ?? ctx.config.spool_dir,
        nextSeq: () => this.seq++,
        isHeld: (q) => this.isHeld(q, q.policy(ctx.config.delivery)),
        place: (q, job, now) => this.place(q, job, q.policy(ctx.config.delivery), now),
        schedule: (q, at) => this.timer.schedule(q, at),
        expiry: (q, receivedAt) => expiresAt(receivedAt, q.policy(ctx.config.delivery)),
        expire: (q, job) => this.expire(q, job),
      },
      this.residency,
    );
    const access = this.access();
    this.ops = new QueueOperations(access, this.window);
    this.suspensions = new Suspensions(access, options.cluster?.suspensions);
    this.shaping = new ShapingGate(
      ctx.clock,
      () => ctx.config,
      () => this.shapingStore,
      options.cluster?.throttles,
    );
  }

  async start(): Promise<void> {
    this.window.reset();
    const { bus } = this.ctx;
    const ops = this.ops;
    this.shapingStore = this.options.shapingStore?.();
    this.shaping.warmup.load();
    this.undo.push(
      bus.subscribe('routing.site', (ev) => this.shaping.siteLearned(ev)),
      bus.subscribe('shaping.changed', (ev) => this.shaping.changed(ev)),
      bus.handle('queue.sites', () => siteCounts(this.select({}), (d) => this.shaping.siteOf(d))),
      bus.subscribe('message.routed', (ev) => this.onRouted(ev)),
      bus.subscribe('delivery.attempted', (ev) => this.onAttempted(ev)),
      bus.subscribe('delivery.released', (ev) => this.onReleased(ev)),
      // Delivery options changed under us (suspend_delivery, max_outbound_connections, throttles).
      bus.subscribe('config.reloaded', () => this.suspensions.reloaded()),
      bus.handle('queue.take', (req) => this.take(req)),
      bus.handle('queue.counts', (sel) => ops.counts(sel)),
      bus.handle('queue.jobs', (sel) => ops.jobs(sel)),
      bus.handle('queue.shape', (sel) => ops.shape(sel)),
      bus.handle('queue.suspend', (req) => this.suspensions.suspend(req)),
      bus.handle('queue.resume', (sel) => this.suspensions.resume(sel)),
      bus.handle('queue.suspensions', () => this.suspensions.list()),
      bus.handle('queue.flush', (sel) => ops.flush(sel)),
      bus.handle('queue.fail', (req) => ops.fail(req)),
      bus.handle('queue.reroute', (req) => ops.reroute(req)),
      bus.handle('queue.rebind', (req) => ops.rebind(req)),
      this.suspensions.attachShare(),
    );
  }

  async stop(): Promise<void> {
    for (const off of this.undo.splice(0)) off();
    this.timer.stop();
    this.demand.stop();
    this.suspensions.stop();
    this.shaping.warmup.stop();
    this.window.close();
  }

  /** Jobs held in memory by all queues (active, delayed, in flight); the rest is swapped out. */
  get resident(): number {
    return this.residency.total;
  }

  /** Per-(binding, domain) counts for the CLI and metrics: O(queues), never O(jobs). */
  counts(selector: QueueSelector = {}): QueueCount[] {
    return this.ops.counts(selector);
  }

  private onRouted(ev: MessageRouted): void {
    for (const job of ev.jobs) this.admit(job);
  }

  /** A job joins its (binding, domain) queue: active, delayed, held or failed at once. */
  private admit(job: DeliveryJob): void {
    const now = this.ctx.clock.now();
    const q = this.queueFor(job.binding, job.domain);
    const policy = q.policy(this.ctx.config.delivery);
    // A recovered job whose time came while we were down is due now: same expiry rule as onDue.
    if (job.nextAttemptAt <= now && now >= expiresAt(job.receivedAt, policy)) {
      this.fail(job, job.recipients, QUEUE_REPLIES.maxTime, job.lastReply);
      this.dropIfEmpty(q);
      return;
    }
    // A recovered job's last deferral was not seen here: derive it from the queue's own schedule.
    if (job.attempts > 0 && job.lastAttemptAt === undefined)
      job.lastAttemptAt = this.scheduledAttemptAt(job, policy, now);
    q.enter(job);
    if (this.window.admits(q, job, policy, now)) this.place(q, job, policy, now);
  }

  /** A job counted in its queue goes into memory: held, delayed, active, or failed when expired. */
  private place(q: DestinationQueue, job: DeliveryJob, policy: DeliveryOptions, now: number): void {
    if (job.nextAttemptAt <= now && now >= expiresAt(job.receivedAt, policy)) {
      this.expire(q, job);
      return;
    }
    if (this.isHeld(q, policy)) this.park(q, job, policy, now);
    else if (job.nextAttemptAt > now)
      this.delay(q, job, Math.min(job.nextAttemptAt, expiresAt(job.receivedAt, policy)));
    else this.activate(q, job, 'back');
  }

  private take(req: TakeRequest): DeliveryJob | null {
    const q = this.queues.get(req.binding)?.get(req.domain);
    if (q === undefined) return null;
    if (q.active.length === 0 && q.swapped > 0) this.window.pageIn(q);
    if (q.active.length === 0) return null;
    const resolver = this.ctx.config.delivery;
    if (this.isHeld(q, q.policy(resolver))) return null;
    // outbound_throttle_messages (reference §3): no token, no job. The queue asks again (demand)
    // when the next token is due, through the one due timer: no polling.
    // Shaping throttles, the site's throttle and the warm-up budget (shaping-gate.ts): asked
    // first without using anything up, so a refusal there costs no config token.
    const now = this.ctx.clock.now();
    const shapingWait = this.shaping.wait(q.binding, q.domain, now);
    const bucket = shapingWait > 0 ? undefined : q.messageBucket(this.throttles);
    if (shapingWait > 0 || (bucket !== undefined && !bucket.tryTake())) {
      const at = now + Math.max(1, shapingWait > 0 ? shapingWait : bucket!.waitMs());
      if (at < q.throttleWakeAt) q.throttleWakeAt = at;
      this.timer.schedule(q, at);
      return null;
    }
    this.shaping.consume(q.binding, q.domain, now);
    const job = q.active.shift()!;
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
      this.requeue(q, job, remaining, reply, a.remote);
    } else q.leave(job);
    this.window.left(q);
    this.dropIfEmpty(q);
  }

  private onReleased({ job }: DeliveryReleased): void {
    const q = this.landed(job);
    const policy = q.policy(this.ctx.config.delivery);
    // Handed back untried: no attempt counted, and it goes first so that order is kept.
    if (this.isHeld(q, policy)) this.park(q, job, policy, this.ctx.clock.now());
    else this.activate(q, job, 'front');
  }

  /** Moves the queue's due jobs to active (or fails the expired), then re-schedules it. */
  private onDue(q: DestinationQueue, now: number): void {
    const policy = q.policy(this.ctx.config.delivery);
    const held = this.isHeld(q, policy);
    for (let e = q.delayed.peek(); e !== undefined && e.at <= now; e = q.delayed.peek()) {
      q.delayed.pop();
      const job = e.job;
      // Reference §4: mail that comes due past its lifetime (e.g. held by a suspension) fails.
      if (now >= expiresAt(job.receivedAt, policy)) this.expire(q, job);
      else if (held) this.park(q, job, policy, now);
      else this.activate(q, job, 'back');
    }
    this.window.due(q, now, held);
    if (q.throttleWakeAt <= now) {
      q.throttleWakeAt = Infinity;
      if (q.active.length > 0 && !held) this.demand.mark(q);
    }
    const next = q.nextDue;
    if (next !== undefined) this.timer.schedule(q, next);
    if (q.throttleWakeAt !== Infinity) this.timer.schedule(q, q.throttleWakeAt);
    this.dropIfEmpty(q);
  }

  private requeue(
    q: DestinationQueue,
    job: DeliveryJob,
    recipients: readonly JobRecipient[],
    reply: ReplyData | undefined,
    remote: RemoteEndpoint | undefined,
  ): void {
    const policy = q.policy(this.ctx.config.delivery);
    const now = this.ctx.clock.now();
    const decision = decideRetry({
      attempts: job.attempts,
      receivedAt: job.receivedAt,
      now,
      policy,
      jitter: this.jitter,
      random: this.random,
    });
    const expiry = expiresAt(job.receivedAt, policy);
    // Out of retries (max_retries, never_retry) ends the job now. Out of time does not: the next
    // try would fall past the expiry, so there is none, but the recipients expire exactly at the
    // expiry (onDue), the instant a delay DSN announced as Will-Retry-Until (RFC 3464 §2.3.7).
    if (decision.kind === 'fail' && (decision.reply !== QUEUE_REPLIES.maxTime || now >= expiry)) {
      q.leave(job);
      this.fail({ ...job, attempts: decision.attempts }, recipients, decision.reply, reply);
      return;
    }
    const attempts = decision.attempts;
    const nextAttemptAt = decision.kind === 'retry' ? decision.nextAttemptAt : expiry;
    const previousAttemptAt =
      job.lastAttemptAt ?? (job.attempts === 0 ? job.receivedAt : this.scheduledAttemptAt(job, policy, now));
    const lastReply = reply ?? QUEUE_REPLIES.noOutcome;
    // The job is back from its connection and nobody else holds it: when every recipient remains
    // (the common case) update it in place instead of copying it (requeue cost, bench/queue-ops).
    let next: DeliveryJob;
    if (recipients === job.recipients) {
      next = job;
      next.attempts = attempts;
      next.nextAttemptAt = nextAttemptAt;
      next.lastReply = lastReply;
      next.lastAttemptAt = now;
    } else {
      q.shrink(job, recipients.length);
      next = { ...job, recipients, attempts, nextAttemptAt, lastReply, lastAttemptAt: now };
    }
    this.delay(q, next, nextAttemptAt);
    this.ctx.bus.publish('delivery.deferred', {
      job: next,
      attempts,
      nextAttemptAt,
      expiresAt: expiry,
      previousAttemptAt,
      reply: lastReply,
      ...(remote !== undefined ? { remote } : {}),
    });
  }

  /**
   * When the attempt before the last one happened, for a job whose deferral this process did not
   * see (recovered from the spool): its next attempt minus the back-off chosen then. Never earlier
   * than the truth (fuzz only lengthens a wait), so a delay-DSN point is never reported twice.
   */
  private scheduledAttemptAt(job: DeliveryJob, policy: DeliveryOptions, now: number): number {
    if (job.nextAttemptAt <= 0) return job.receivedAt;
    return Math.max(
      job.receivedAt,
      Math.min(now, job.nextAttemptAt - retryWait(job.attempts, policy.retry_interval, policy.max_retry_interval)),
    );
  }

  /** A queued job reached its expiry: it leaves the queue with 554 5.4.7 … max time. */
  private expire(q: DestinationQueue, job: DeliveryJob): void {
    q.leave(job);
    this.fail(job, job.recipients, QUEUE_REPLIES.maxTime, job.lastReply);
  }

  /**
   * Publishes the final failure of some of a job's recipients; the caller has taken the job out.
   * Expiry, max_retries and never_retry are all `expiration` (Momentum logs them as expiry with
   * 5.4.7, reference §4); operator failures pass reason `policy`.
   */
  private fail(
    job: DeliveryJob,
    recipients: readonly JobRecipient[],
    reply: ReplyData,
    lastReply: ReplyData | undefined,
    how: { reason?: 'expiration' | 'policy'; quiet?: boolean } = {},
  ): void {
    const failed: DeliveryJob = { ...job, recipients, ...(lastReply !== undefined ? { lastReply } : {}) };
    this.ctx.bus.publish('delivery.failed', {
      job: failed,
      indexes: recipients.map((r) => r.index),
      reply,
      reason: how.reason ?? 'expiration',
      ...(how.quiet ? { quiet: true } : {}),
    });
  }

  private activate(q: DestinationQueue, job: DeliveryJob, end: 'front' | 'back'): void {
    if (end === 'front') q.active.pushFront(job);
    else q.active.pushBack(job);
    this.demand.mark(q);
  }

  private delay(q: DestinationQueue, job: DeliveryJob, at: number, held = false): void {
    q.delayed.push({ at, seq: this.seq++, job, held });
    this.timer.schedule(q, at);
  }

  /**
   * A suspended destination holds its mail in the delayed queue, counted but never
   * handed out. It is looked at again after retry_interval (or at its next attempt, if later), and
   * exactly at expiry, so that held mail still expires on time; a resume releases it at once.
   */
  private park(q: DestinationQueue, job: DeliveryJob, policy: DeliveryOptions, now: number): void {
    const recheck = Math.max(job.nextAttemptAt, now + Math.max(policy.retry_interval, 1));
    this.delay(q, job, Math.min(recheck, expiresAt(job.receivedAt, policy)), true);
  }

  /** True when config (`suspend_delivery`) or an operator suspension holds the queue. */
  private isHeld(q: DestinationQueue, policy: DeliveryOptions): boolean {
    if (policy.suspend_delivery) return true;
    const gen = this.suspensions.generation;
    if (q.heldGen !== gen) {
      q.held = this.suspensions.covers(q.binding, q.domain);
      q.heldGen = gen;
    }
    return q.held;
  }

  /** Re-checks a queue after its jobs changed outside the normal flow. */
  private touch(q: DestinationQueue): void {
    this.window.released(q, this.ctx.clock.now());
    this.window.left(q);
    const next = q.nextDue;
    if (next !== undefined) this.timer.schedule(q, next);
    if (q.active.length > 0) this.demand.mark(q);
    this.dropIfEmpty(q);
  }

  private *inFlightJobs(): IterableIterator<DeliveryJob> {
    for (const e of this.inFlight.values()) yield e.job;
  }

  /** The narrow view operations.ts and suspensions.ts get of the queues (queue-access.ts). */
  private access(): QueueAccess {
    const { ctx } = this;
    return {
      bus: ctx.bus,
      clock: ctx.clock,
      logger: ctx.logger,
      config: () => ctx.config,
      select: (sel) => this.select(sel),
      inFlightJobs: () => this.inFlightJobs(),
      isHeld: (q) => this.isHeld(q, q.policy(ctx.config.delivery)),
      hold: (q, job, now) => this.park(q, job, q.policy(ctx.config.delivery), now),
      activate: (q, job, end) => this.activate(q, job, end),
      delay: (q, job, at) => this.delay(q, job, at),
      admit: (job) => this.admit(job),
      fail: (job, recipients, reply, lastReply, how) => this.fail(job, recipients, reply, lastReply, how),
      touch: (q) => this.touch(q),
    };
  }

  /** A job came back from a connection: it is no longer in flight. */
  private landed(job: DeliveryJob): DestinationQueue {
    const entry = this.inFlight.get(job.id);
    if (entry === undefined) {
      // Not ours (e.g. taken before a restart): count it in so that leave() balances.
      const q = this.queueFor(job.binding, job.domain);
      q.enter(job);
      return q;
    }
    this.inFlight.delete(job.id);
    entry.queue.inFlight--;
    return entry.queue;
  }

  private publishDemand(q: DestinationQueue): void {
    const policy = q.policy(this.ctx.config.delivery);
    if (this.isHeld(q, policy)) return;
    const max = policy.max_outbound_connections;
    // Swapped-out due jobs are backlog too: the goal sees the whole active queue, not the window.
    const active = q.active.length + q.swappedActive;
    const raw = this.goal({
      binding: q.binding,
      domain: q.domain,
      active,
      inFlight: q.inFlight,
      maxOutboundConnections: max,
      aggressiveness: policy.connection_allocation_aggressiveness,
    });
    const goal = Number.isFinite(raw) ? Math.min(Math.max(Math.floor(raw), 0), max) : 0;
    this.ctx.bus.publish('queue.demand', { binding: q.binding, domain: q.domain, active, goal });
  }

  private queueFor(binding: string, domain: string): DestinationQueue {
    let byDomain = this.queues.get(binding);
    if (byDomain === undefined) {
      byDomain = new Map();
      this.queues.set(binding, byDomain);
    }
    let q = byDomain.get(domain);
    if (q === undefined) {
      q = new DestinationQueue(binding, domain, this.residency);
      byDomain.set(domain, q);
    }
    return q;
  }

  /** The queues a selector names (absent fields match everything). */
  private *select(sel: {
    readonly binding?: string | undefined;
    readonly domain?: string | undefined;
  }): IterableIterator<DestinationQueue> {
    const bindings =
      sel.binding !== undefined && sel.binding !== 'all' ? [this.queues.get(sel.binding)] : [...this.queues.values()];
    for (const byDomain of bindings) {
      if (byDomain === undefined) continue;
      if (sel.domain !== undefined) {
        const q = byDomain.get(sel.domain.toLowerCase());
        if (q !== undefined) yield q;
      } else yield* [...byDomain.values()];
    }
  }

  /** Forgets an empty queue, so that a million one-off domains do not stay in memory. */
  private dropIfEmpty(q: DestinationQueue): void {
    if (!q.isEmpty || q.throttleWakeAt !== Infinity) return;
    const byDomain = this.queues.get(q.binding);
    if (byDomain?.get(q.domain) !== q) return;
    this.window.forget(q);
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
