/**
 * Operator actions on the queues (reference §6: `mailq`, `showqueue`, `flush domain`,
 * `fail domain [quiet]`, `reroute queue`, `rebind`; suspend/resume live in suspensions.ts).
 * They serve the `queue.*` bus requests that the control API and CLI call. Each acts on queued
 * mail only: jobs in flight finish their attempt and come back through the normal flow. They
 * reach the queues through QueueAccess, never the manager's own members.
 *
 * Costs: counts O(queues); the others O(jobs of the queues selected), which is what they move.
 */
import {
  PetrelError,
  type DeliveryJob,
  type QueueCount,
  type QueuedJobInfo,
  type QueueSelector,
  type QueueShape,
  type ReplyData,
  type Requests,
} from '@petrel/core';
import type { DelayedEntry, DestinationQueue } from './destination-queue.js';
import type { QueueAccess } from './queue-access.js';
import type { ResidentWindow } from './resident-window.js';
import { QUEUE_REPLIES } from './replies.js';
import { expiresAt } from './retry.js';

type Payload<K extends keyof Requests> = Requests[K]['payload'];

const bySeq = (a: DelayedEntry, b: DelayedEntry): number => a.seq - b.seq;

export class QueueOperations {
  private moveSeq = 0;

  constructor(
    private readonly m: QueueAccess,
    /** The jobs beyond the resident window: read, taken out or flushed in the swap file. */
    private readonly window: ResidentWindow,
  ) {}

  counts(sel: QueueSelector): QueueCount[] {
    const config = this.m.config();
    const out: QueueCount[] = [];
    for (const q of this.m.select(sel)) {
      out.push({
        binding: q.binding,
        bindingGroup: config.scopes.bindings.get(q.binding)?.group ?? 'default',
        domain: q.domain,
        active: q.active.length + q.swappedActive,
        delayed: q.delayed.size + q.swappedDelayed,
        inFlight: q.inFlight,
        suspended: this.m.isHeld(q),
        oldestReceivedAt: q.oldestReceivedAt,
        // Only a queue larger than its window says so: otherwise all of it is in memory.
        ...(q.swapped > 0 ? { resident: q.resident } : {}),
      });
    }
    return out;
  }

  /** `queue shape` (qshape): recipients by age per queue, from the reception counters. */
  shape(sel: Payload<'queue.shape'>): QueueShape[] {
    const now = this.m.clock.now();
    const out: QueueShape[] = [];
    for (const q of this.m.select(sel)) out.push({ binding: q.binding, domain: q.domain, ...q.shape(now, sel.bounds) });
    return out;
  }

  /** `showqueue`: in flight, then active in FIFO order, then delayed (heap order, not sorted). */
  jobs(sel: Payload<'queue.jobs'>): QueuedJobInfo[] {
    const limit = Math.max(0, sel.limit ?? 100);
    let skip = Math.max(0, sel.offset ?? 0);
    const out: QueuedJobInfo[] = [];
    const want = (job: DeliveryJob): boolean => sel.messageId === undefined || job.messageId === sel.messageId;
    const add = (job: DeliveryJob, queue: QueuedJobInfo['queue']): boolean => {
      if (!want(job)) return true;
      if (skip > 0) {
        skip--;
        return true;
      }
      out.push(info(job, queue));
      return out.length < limit;
    };
    if (limit === 0) return out;
    for (const job of this.m.inFlightJobs()) {
      if (
        (sel.binding === undefined || sel.binding === 'all' || job.binding === sel.binding) &&
        (sel.domain === undefined || job.domain === sel.domain.toLowerCase())
      ) {
        if (!add(job, 'in-flight')) return out;
      }
    }
    for (const q of this.m.select(sel)) {
      for (const job of q.active) if (!add(job, 'active')) return out;
      for (const e of q.delayed.values()) if (!add(e.job, 'delayed')) return out;
      // Beyond the resident window: read from the swap file a page at a time, in due order.
      for (let offset = 0; offset < q.swapped; offset += 500) {
        for (const s of this.window.peek(q, offset, 500)) if (!add(s.job, s.kind)) return out;
      }
    }
    return out;
  }

  /** Delayed → active now (Momentum `flush domain`; with messageId, `message retry`). */
  flush(sel: QueueSelector): { requeued: number } {
    const now = this.m.clock.now();
    let requeued = 0;
    for (const q of this.m.select(sel)) {
      if (this.m.isHeld(q)) continue;
      const policy = q.policy(this.m.config().delivery);
      const due = q.delayed
        .removeWhere((e) => sel.messageId === undefined || e.job.messageId === sel.messageId)
        .sort(bySeq);
      for (const e of due) {
        const job = e.job;
        if (now >= expiresAt(job.receivedAt, policy)) {
          q.leave(job);
          this.m.fail(job, job.recipients, QUEUE_REPLIES.maxTime, job.lastReply);
          continue;
        }
        job.nextAttemptAt = now;
        this.m.activate(q, job, 'back');
        requeued++;
      }
      if (sel.messageId === undefined) requeued += this.window.flush(q, now);
      else
        for (const job of this.window.unswap(q, Infinity, sel.messageId)) {
          q.leave(job);
          this.m.admit({ ...job, nextAttemptAt: now });
          requeued++;
        }
      this.m.touch(q);
    }
    return { requeued };
  }

  /** Permanent failure of queued mail (Momentum `fail domain [quiet]`, `message fail`): reason `policy`. */
  fail(req: Payload<'queue.fail'>): { failed: number } {
    const reply: ReplyData = req.reply ?? QUEUE_REPLIES.manuallyPurged;
    let failed = 0;
    const limit = req.limit ?? Infinity;
    for (const q of this.m.select(req)) {
      if (failed >= limit) break;
      if (req.dryRun) {
        failed += this.count(q, req.messageId, limit - failed);
        continue;
      }
      const jobs = this.take(q, req.messageId, limit - failed);
      failed += jobs.length;
      for (const job of jobs) {
        q.leave(job);
        this.m.fail(job, job.recipients, reply, job.lastReply, {
          reason: 'policy',
          ...(req.quiet ? { quiet: true } : {}),
        });
      }
      this.m.touch(q);
    }
    return { failed };
  }

  /**
   * Moves a domain's queued mail to another domain (Momentum `reroute queue <src|all> <dst>`):
   * each job becomes a job of `to` in the same binding, so routing.route resolves `to`'s MX or
   * gateway. Recipients, attempts and schedule are kept.
   */
  reroute(req: Payload<'queue.reroute'>): { moved: number } {
    const to = req.to.toLowerCase();
    if (!/^[^\s@]+$/.test(to) || to === 'all')
      throw new PetrelError(
        'PETREL_ERR_QUEUE_ARGUMENT',
        `reroute needs a destination domain, got ${JSON.stringify(req.to)}`,
        { to: req.to },
      );
    const sources =
      req.from === 'all'
        ? [...this.m.select({})].filter((q) => q.domain !== to)
        : [...this.m.select({ domain: req.from })];
    let moved = 0;
    const limit = req.limit ?? Infinity;
    for (const q of sources) {
      if (q.domain === to) continue;
      if (moved >= limit) break;
      if (req.dryRun) {
        moved += this.count(q, undefined, limit - moved);
        continue;
      }
      const jobs = this.take(q, undefined, limit - moved);
      moved += jobs.length;
      for (const job of jobs) {
        q.leave(job);
        this.m.admit({ ...job, domain: to, id: `${job.messageId}/${job.binding}/${to}/rr${++this.moveSeq}` });
      }
      this.m.touch(q);
    }
    return { moved };
  }

  /**
   * Re-runs binding assignment (`routing.assign`) for queued mail of a binding ('all' = every
   * binding), optionally one domain, and moves each job to the (binding, domain) queue it returns
   * (Momentum `rebind`). Jobs whose assignment fails stay where they were.
   */
  async rebind(req: Payload<'queue.rebind'>): Promise<{ rebound: number }> {
    const { bus } = this.m;
    if (!bus.hasHandler('routing.assign')) {
      throw new PetrelError('PETREL_ERR_BUS_NO_HANDLER', 'rebind needs routing.assign, which has no handler', {
        topic: 'routing.assign',
      });
    }
    const taken: DeliveryJob[] = [];
    for (const q of [...this.m.select({ binding: req.binding, domain: req.domain })]) {
      for (const job of this.take(q, undefined)) {
        q.leave(job);
        taken.push(job);
      }
      this.m.touch(q);
    }
    let rebound = 0;
    for (const job of taken) {
      let next = job;
      try {
        const r = await bus.request('routing.assign', { job });
        if (r.binding !== job.binding) {
          next = {
            ...job,
            binding: r.binding,
            bindingGroup: r.bindingGroup,
            id: `${job.messageId}/${r.binding}/${job.domain}/rb${++this.moveSeq}`,
          };
        } else if (r.bindingGroup !== job.bindingGroup) next = { ...job, bindingGroup: r.bindingGroup };
        rebound++;
      } catch (err) {
        this.m.logger.warn({ err, job: job.id }, 'rebind: binding assignment failed; the job stays in its binding');
      }
      this.m.admit(next);
    }
    return { rebound };
  }

  /** A dry run: how many queued jobs (of one message, if given) take() would take, at most `limit`. */
  private count(q: DestinationQueue, messageId: string | undefined, limit: number): number {
    const want = (job: DeliveryJob): boolean => messageId === undefined || job.messageId === messageId;
    let n = 0;
    for (const job of q.active) if (want(job)) n++;
    for (const e of q.delayed.values()) if (want(e.job)) n++;
    // Swapped jobs of a whole queue are a counter; one message's are looked up.
    if (messageId === undefined) n += q.swapped;
    else for (let o = 0; o < q.swapped; o += 1000) for (const s of this.window.peek(q, o, 1000)) if (want(s.job)) n++;
    return Math.min(n, limit);
  }

  /**
   * Takes queued (not in-flight) jobs out of a queue (of one message, if given), at most `limit`:
   * active in FIFO order, then delayed and swapped ones in due order.
   */
  private take(q: DestinationQueue, messageId: string | undefined, limit = Infinity): DeliveryJob[] {
    let left = limit;
    // Stateful on purpose: the deque and heap test each job once, in order, so this takes the first `limit`.
    const match = (job: DeliveryJob): boolean => (messageId === undefined || job.messageId === messageId) && left-- > 0;
    const active = q.active.removeWhere(match);
    const delayed = q.delayed.removeWhere((e) => match(e.job)).sort((a, b) => a.at - b.at || a.seq - b.seq);
    const swapped = this.window.unswap(q, Math.max(left, 0), messageId);
    return active.concat(
      delayed.map((e) => e.job),
      swapped,
    );
  }
}

function info(job: DeliveryJob, queue: QueuedJobInfo['queue']): QueuedJobInfo {
  return {
    jobId: job.id,
    messageId: job.messageId,
    binding: job.binding,
    domain: job.domain,
    sender: job.sender,
    recipients: job.recipients.map((r) => r.address),
    queue,
    attempts: job.attempts,
    nextAttemptAt: job.nextAttemptAt,
    receivedAt: job.receivedAt,
    ...(job.lastReply !== undefined ? { lastReply: job.lastReply } : {}),
  };
}
