/** Test fixtures for the queue manager: a real Bus, a ManualClock, config from TOML text. */
import {
  Bus,
  ManualClock,
  parseConfig,
  silentLogger,
  SmtpReply,
  type DeliveryAttempt,
  type DeliveryJob,
  type Events,
  type OutcomeStatus,
} from '@petrel/core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueueManager, type QueueManagerOptions } from './queue-manager.js';

export const S = 1000;

export interface Harness {
  readonly bus: Bus;
  readonly clock: ManualClock;
  readonly queue: QueueManager;
  readonly t0: number;
  readonly demand: Events['queue.demand'][];
  readonly deferred: Events['delivery.deferred'][];
  readonly failed: Events['delivery.failed'][];
  route(...jobs: DeliveryJob[]): void;
  take(domain: string, binding?: string): Promise<DeliveryJob | null>;
  attempt(job: DeliveryJob, status: OutcomeStatus | readonly OutcomeStatus[], reply?: string): void;
}

export async function harness(toml = '', options: QueueManagerOptions = {}): Promise<Harness> {
  const config = parseConfig(toml, '/nonexistent/petrel-queue-test.toml');
  const bus = new Bus();
  const clock = new ManualClock();
  // The resident window's swap file goes to a directory of this test run (spool_dir does not exist).
  const swapDir = options.swapDir ?? mkdtempSync(join(tmpdir(), 'petrel-queue-swap-'));
  const queue = new QueueManager({ config, bus, clock, logger: silentLogger() }, { ...options, swapDir });
  await queue.start();
  const h: Harness = {
    bus,
    clock,
    queue,
    t0: clock.now(),
    demand: [],
    deferred: [],
    failed: [],
    route: (...jobs) => bus.publish('message.routed', { envelope: envelopeOf(jobs[0]!), jobs, recovered: false }),
    take: (domain, binding = 'default') => bus.request('queue.take', { binding, domain }),
    attempt: (job, status, reply = '451 4.7.1 try later') =>
      bus.publish('delivery.attempted', attemptOf(job, status, reply, clock.now())),
  };
  bus.subscribe('queue.demand', (e) => void h.demand.push(e));
  bus.subscribe('delivery.deferred', (e) => void h.deferred.push(e));
  bus.subscribe('delivery.failed', (e) => void h.failed.push(e));
  return h;
}

let counter = 0;

/** A job for `rcpts` recipients of one domain, received at `receivedAt`. */
export function makeJob(opts: {
  domain?: string;
  binding?: string;
  receivedAt: number;
  rcpts?: number;
  nextAttemptAt?: number;
  attempts?: number;
}): DeliveryJob {
  const domain = opts.domain ?? 'example.test';
  const binding = opts.binding ?? 'default';
  const messageId = `M${++counter}`;
  const recipients = Array.from({ length: opts.rcpts ?? 1 }, (_, i) => ({
    index: i,
    address: `user${i}@${domain}`,
    domain,
  }));
  return {
    id: `${messageId}/${binding}/${domain}/0`,
    messageId,
    sender: 'sender@origin.test',
    binding,
    bindingGroup: 'default',
    domain,
    recipients,
    size: 1234,
    receivedAt: opts.receivedAt,
    attempts: opts.attempts ?? 0,
    nextAttemptAt: opts.nextAttemptAt ?? 0,
  };
}

function envelopeOf(job: DeliveryJob): Events['message.routed']['envelope'] {
  return {
    id: job.messageId,
    sender: job.sender,
    recipients: job.recipients,
    receivedAt: job.receivedAt,
    size: job.size,
    protocol: 'esmtp',
  };
}

function attemptOf(
  job: DeliveryJob,
  status: OutcomeStatus | readonly OutcomeStatus[],
  reply: string,
  now: number,
): DeliveryAttempt {
  return {
    job,
    outcomes: job.recipients.map((r, i) => {
      const st = typeof status === 'string' ? status : (status[i] ?? 'delivered');
      return {
        index: r.index,
        address: r.address,
        status: st,
        reply: SmtpReply.parse(
          st === 'delivered' ? '250 2.0.0 ok' : st === 'permanent' ? '550 5.1.1 no such user' : reply,
        ),
        stage: 9,
      };
    }),
    startedAt: now,
    finishedAt: now,
  };
}

/** Resolves after pending setImmediate callbacks (the demand flush) have run. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
