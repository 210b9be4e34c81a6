/**
 * What the operator actions (operations.ts) and the suspensions (suspensions.ts) may do to the
 * queues: a narrow interface the queue manager hands them, instead of its own members. Each call
 * keeps the manager's invariants (timer, demand, counts); none hands out the manager itself.
 */
import type { Clock, DeliveryJob, JobRecipient, Logger, PetrelConfig, Bus, ReplyData } from '@petrel/core';
import type { DestinationQueue } from './destination-queue.js';

export interface QueueAccess {
  readonly bus: Bus;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The live config (a reload swaps it). */
  config(): PetrelConfig;
  /** The queues a selector names (absent fields match everything; binding "all" too). */
  select(sel: {
    readonly binding?: string | undefined;
    readonly domain?: string | undefined;
  }): IterableIterator<DestinationQueue>;
  /** Jobs handed to connections, not yet reported. */
  inFlightJobs(): IterableIterator<DeliveryJob>;
  /** True when config (`suspend_delivery`) or an operator suspension holds the queue. */
  isHeld(q: DestinationQueue): boolean;
  /** A held queue keeps `job` in its delayed queue, looked at again later and at its expiry. */
  hold(q: DestinationQueue, job: DeliveryJob, now: number): void;
  /** `job` goes to the active queue (front or back) and the queue asks for connections. */
  activate(q: DestinationQueue, job: DeliveryJob, end: 'front' | 'back'): void;
  /** `job` waits in the delayed queue until `at`. */
  delay(q: DestinationQueue, job: DeliveryJob, at: number): void;
  /** A job comes (back) in: active, delayed, held or failed at once, as for a routed job. */
  admit(job: DeliveryJob): void;
  /** Publishes the final failure of recipients of a job already taken out of its queue. */
  fail(
    job: DeliveryJob,
    recipients: readonly JobRecipient[],
    reply: ReplyData,
    lastReply: ReplyData | undefined,
    how?: { reason?: 'expiration' | 'policy'; quiet?: boolean },
  ): void;
  /** Re-checks a queue after its jobs changed outside the normal flow. */
  touch(q: DestinationQueue): void;
}
