/**
 * The promise outbound makes to the queue: every job it takes ends in exactly one
 * `delivery.attempted` or `delivery.released`. The ledger holds each taken job until one of the two
 * is published and drops any later second report (e.g. a transaction that finishes after stop()
 * already released its job at the deadline).
 */
import type { Bus, DeliveryAttempt, DeliveryJob } from '@petrel/core';

export class JobLedger {
  /** Taken and not yet reported, with the connection that holds each. */
  private readonly held = new Map<DeliveryJob, object>();

  constructor(private readonly bus: Bus) {}

  hold(job: DeliveryJob, owner: object): void {
    this.held.set(job, owner);
  }

  /** Publishes the attempt if its job is still held; false when the job was already settled. */
  attempted(attempt: DeliveryAttempt): boolean {
    if (!this.held.delete(attempt.job)) return false;
    this.bus.publish('delivery.attempted', attempt);
    return true;
  }

  /** Hands the job back untried. */
  release(job: DeliveryJob): boolean {
    if (!this.held.delete(job)) return false;
    this.bus.publish('delivery.released', { job });
    return true;
  }

  /** Releases every job `owner` holds (a connection that died unexpectedly). */
  releaseOwner(owner: object): number {
    let n = 0;
    for (const [job, o] of [...this.held]) if (o === owner && this.release(job)) n++;
    return n;
  }

  /** Releases everything still held (stop() past its deadline). */
  releaseAll(): number {
    let n = 0;
    for (const job of [...this.held.keys()]) if (this.release(job)) n++;
    return n;
  }

  get size(): number {
    return this.held.size;
  }
}
