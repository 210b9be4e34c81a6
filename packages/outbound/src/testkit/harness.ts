/**
 * A real Bus and a real OutboundService, with the other services' topics faked in memory:
 * queue.take pops a FIFO per (binding, domain), routing.route answers a given Route, spool.body
 * returns a small message. Records every attempted/released event.
 */
import {
  Bus,
  SystemClock,
  createLogger,
  parseConfig,
  silentLogger,
  type DeliveryAttempt,
  type DeliveryJob,
  type Logger,
  type OutboundSessionEvent,
  type Route,
  type RouteHost,
} from '@petrel/core';
import { SmtpSession, type SessionOptions } from '@petrel/smtp-client';
import { waitFor } from '@petrel/testkit';
import { OutboundService, type OutboundOptions } from '../outbound-service.js';

export interface HarnessOptions {
  /** Extra TOML for the [global] table, e.g. 'idle_timeout = "200ms"'. */
  readonly global?: string;
  readonly route: Route | ((binding: string, domain: string) => Route);
  readonly outbound?: OutboundOptions;
  /** Override spool.body (e.g. to hold a body back). */
  readonly body?: (job: DeliveryJob) => Promise<Buffer>;
  /** The service's operator log (silent by default). */
  readonly logger?: Logger;
}

export const BODY = Buffer.from(
  'From: a@sender.test\r\nTo: b@example.test\r\nSubject: petrel outbound test\r\n\r\nHello.\r\n',
);

export function hostsRoute(
  port: number,
  addresses: readonly string[],
  extra: { gateway?: boolean; bindAddress?: string } = {},
): Route {
  const hosts: RouteHost[] = addresses.map((address, i) => ({
    name: `mx${i + 1}.example.test`,
    address,
    family: 4,
    preference: 10 * (i + 1),
  }));
  return {
    kind: 'hosts',
    hosts,
    port,
    ehloName: 'petrel.test',
    gateway: extra.gateway ?? false,
    ...(extra.bindAddress ? { bindAddress: extra.bindAddress } : {}),
  };
}

let seq = 0;
/** A job with recipients at the given envelope indexes (default 0, 1, …). */
export function makeJob(
  domain: string,
  locals: readonly string[],
  opts: { binding?: string; indexes?: readonly number[] } = {},
): DeliveryJob {
  const binding = opts.binding ?? 'default';
  const messageId = `m${++seq}`;
  return {
    id: `${messageId}/${binding}/${domain}/0`,
    messageId,
    sender: 'a@sender.test',
    binding,
    bindingGroup: 'default',
    domain,
    recipients: locals.map((l, i) => ({ address: `${l}@${domain}`, domain, index: opts.indexes?.[i] ?? i })),
    size: BODY.length,
    receivedAt: Date.now(),
    attempts: 0,
    nextAttemptAt: 0,
  };
}

export class Harness {
  readonly bus = new Bus();
  readonly svc: OutboundService;
  readonly queues = new Map<string, DeliveryJob[]>();
  readonly taken: DeliveryJob[] = [];
  readonly attempts: DeliveryAttempt[] = [];
  readonly released: DeliveryJob[] = [];
  /** Every outbound.session_event, in order. */
  readonly sessionEvents: OutboundSessionEvent[] = [];
  private waiters: { n: number; resolve: () => void }[] = [];

  constructor(opts: HarnessOptions) {
    const config = parseConfig(`[global]\ntls = "no"\n${opts.global ?? ''}\n`, 'outbound-test.toml');
    this.bus.handle('queue.take', ({ binding, domain }) => {
      const job = this.queues.get(`${binding}|${domain}`)?.shift() ?? null;
      if (job) this.taken.push(job);
      return job;
    });
    this.bus.handle('routing.route', ({ binding, domain }) =>
      typeof opts.route === 'function' ? opts.route(binding, domain) : opts.route,
    );
    this.bus.handle('spool.body', async ({ id }) => {
      const job = this.taken.find((j) => j.messageId === id);
      return opts.body && job ? opts.body(job) : BODY;
    });
    this.bus.subscribe('delivery.attempted', (a) => {
      this.attempts.push(a);
      this.check();
    });
    this.bus.subscribe('outbound.session_event', (e) => {
      this.sessionEvents.push(e);
    });
    this.bus.subscribe('delivery.released', ({ job }) => {
      this.released.push(job);
      this.check();
    });
    this.svc = new OutboundService(
      { config, bus: this.bus, logger: opts.logger ?? silentLogger(), clock: new SystemClock() },
      opts.outbound,
    );
  }

  /** Queues jobs and publishes queue.demand for their key with the given goal. */
  enqueue(jobs: readonly DeliveryJob[], goal = 1): void {
    const first = jobs[0];
    if (!first) return;
    const key = `${first.binding}|${first.domain}`;
    const q = this.queues.get(key) ?? [];
    q.push(...jobs);
    this.queues.set(key, q);
    this.bus.publish('queue.demand', { binding: first.binding, domain: first.domain, active: q.length, goal });
  }

  /** Resolves when at least n jobs were reported (attempted + released); rejects after timeoutMs. */
  settled(n: number, timeoutMs = 15_000): Promise<void> {
    if (this.attempts.length + this.released.length >= n) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const t = setTimeout(
        () => reject(new Error(`only ${this.attempts.length + this.released.length} of ${n} jobs reported`)),
        timeoutMs,
      );
      this.waiters.push({
        n,
        resolve: () => {
          clearTimeout(t);
          resolve();
        },
      });
    });
  }

  /** Resolves with the first session event (seen so far or to come) that matches; rejects after timeoutMs. */
  sessionEvent(match: (e: OutboundSessionEvent) => boolean, timeoutMs = 5000): Promise<OutboundSessionEvent> {
    const seen = this.sessionEvents.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        off();
        reject(new Error('no matching outbound.session_event in time'));
      }, timeoutMs);
      const off = this.bus.subscribe('outbound.session_event', (e) => {
        if (!match(e)) return;
        clearTimeout(t);
        off();
        resolve(e);
      });
    });
  }

  /** Every job taken was reported exactly once. */
  reportedOnce(): boolean {
    const ids = [...this.attempts.map((a) => a.job.id), ...this.released.map((j) => j.id)];
    return (
      ids.length === this.taken.length &&
      new Set(ids).size === ids.length &&
      this.taken.every((j) => ids.includes(j.id))
    );
  }

  private check(): void {
    const n = this.attempts.length + this.released.length;
    const due = this.waiters.filter((w) => w.n <= n);
    this.waiters = this.waiters.filter((w) => w.n > n);
    for (const w of due) w.resolve();
  }
}

/** Resolves when cond() holds, checking every 10 ms; rejects after timeoutMs (state with no event). */
export async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  await waitFor('condition', cond, timeoutMs, 10);
}

/**
 * Wraps SmtpSession.open to count sessions as outbound sees them: live from open until quit() or
 * destroy(). (A proxy on the far side sees a close a moment later than the client makes it, so it
 * cannot judge concurrency exactly.)
 */
export function sessionTracker(): {
  openSession: (o: SessionOptions, listen?: (s: SmtpSession) => void) => Promise<SmtpSession>;
  readonly opened: number;
  readonly live: number;
  readonly maxLive: number;
} {
  let opened = 0;
  let live = 0;
  let maxLive = 0;
  const openSession = async (o: SessionOptions, listen?: (s: SmtpSession) => void): Promise<SmtpSession> => {
    const s = await SmtpSession.open(o, listen);
    opened++;
    live++;
    maxLive = Math.max(maxLive, live);
    let closed = false;
    const done = (): void => {
      if (!closed) live--;
      closed = true;
    };
    const quit = s.quit.bind(s);
    const destroy = s.destroy.bind(s);
    s.quit = async () => {
      done();
      await quit();
    };
    s.destroy = () => {
      done();
      destroy();
    };
    return s;
  };
  return {
    openSession,
    get opened() {
      return opened;
    },
    get live() {
      return live;
    },
    get maxLive() {
      return maxLive;
    },
  };
}

/** A real pino logger at `level` whose records (parsed JSON) land in `records`. */
export function recordingLogger(level = 'debug'): { logger: Logger; records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  const logger = createLogger({
    level,
    destination: { write: (line: string) => void records.push(JSON.parse(line) as Record<string, unknown>) },
  });
  return { logger, records };
}
