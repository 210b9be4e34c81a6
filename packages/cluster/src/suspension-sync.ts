/**
 * Operator suspensions shared by every node. The set lives in one Redis hash (selector → JSON),
 * so a full read is one atomic HGETALL; each change is also published on a channel, so the other
 * nodes apply it within milliseconds. A node re-reads the whole set every reconcile_interval and
 * whenever Redis comes back, in case it missed a notice. Changes made while Redis is unreachable
 * apply locally at once and are written to Redis, in order, when it is back (then the node
 * reconciles). Timed suspensions carry their end time: every node ends them on its own timer, and
 * a reconcile drops what has ended.
 */
import type {
  Clock,
  Logger,
  QueueSelector,
  Suspension,
  SuspensionApply,
  SuspensionShare,
  TimerHandle,
} from '@petrel/core';
import type { Keys } from './keys.js';
import type { RedisLink } from './redis-link.js';

/** A change notice on the channel. */
type Notice =
  | { readonly op: 'suspend'; readonly from: string; readonly suspension: Suspension }
  | { readonly op: 'resume'; readonly from: string; readonly selector: QueueSelector };

type Op = { readonly op: 'suspend'; readonly s: Suspension } | { readonly op: 'resume'; readonly sel: QueueSelector };

/** The hash field of a selector: binding and domain, either absent. */
export function selectorField(binding: string | undefined, domain: string | undefined): string {
  return `${binding ?? '*'}|${domain?.toLowerCase() ?? '*'}`;
}

export interface SuspensionSyncEnv {
  readonly link: RedisLink;
  readonly keys: Keys;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly node: string;
  readonly reconcileIntervalMs: number;
}

export class SuspensionSync implements SuspensionShare {
  private apply: SuspensionApply | undefined;
  /** Local changes not yet written to Redis (made while it was down), oldest first. */
  private readonly backlog: Op[] = [];
  /** One chain of Redis work: writes and reads in the order they were asked for. */
  private chain: Promise<void> = Promise.resolve();
  private timer: TimerHandle | undefined;
  private stopped = false;

  private subscribed = false;

  constructor(private readonly env: SuspensionSyncEnv) {
    env.link.onUp(() => this.enqueue(() => this.catchUp()));
  }

  attach(apply: SuspensionApply): () => void {
    this.apply = apply;
    // The queue attaches after the first read: give it the shared set now, not a reconcile later.
    this.enqueue(() => this.catchUp());
    return () => {
      if (this.apply === apply) this.apply = undefined;
    };
  }

  async start(): Promise<void> {
    await this.subscribe();
    this.enqueue(() => this.catchUp());
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.env.clock.clearTimer(this.timer);
  }

  /** Resolves when every change asked for so far has been written (or found Redis down). */
  settled(): Promise<void> {
    return this.chain;
  }

  suspended(s: Suspension): void {
    this.backlog.push({ op: 'suspend', s });
    this.enqueue(() => this.flush());
  }

  resumed(sel: QueueSelector): void {
    this.backlog.push({ op: 'resume', sel });
    this.enqueue(() => this.flush());
  }

  /** Every shared suspension still in force (status, reconcile). */
  async list(): Promise<Suspension[]> {
    const { link, keys } = this.env;
    const raw = await link.call<unknown>(['HGETALL', keys.suspensions]);
    const now = this.env.clock.now();
    const out: Suspension[] = [];
    const ended: string[] = [];
    for (const [field, v] of hashEntries(raw)) {
      try {
        const s = JSON.parse(v) as Suspension;
        if (s.until === undefined || s.until > now) out.push(s);
        else ended.push(field);
      } catch {
        this.env.logger.warn({ field, value: v }, 'cluster: unreadable shared suspension ignored');
      }
    }
    // Timed suspensions that have ended leave the hash (every node ended them on its own timer).
    if (ended.length > 0) await link.call(['HDEL', keys.suspensions, ...ended]).catch(() => undefined);
    return out;
  }

  private enqueue(work: () => Promise<void>): void {
    this.chain = this.chain.then(work).catch((err: unknown) => {
      this.env.logger.debug({ err }, 'cluster: suspension sync deferred');
    });
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.env.clock.setTimer(this.env.reconcileIntervalMs, () => {
      this.enqueue(() => this.catchUp());
      this.schedule();
    });
  }

  /** Subscribes to the change notices once; node-redis keeps the subscription across reconnects. */
  private async subscribe(): Promise<void> {
    if (this.subscribed) return;
    try {
      await this.env.link.subscribe(this.env.keys.suspensionChannel, (m) => this.onNotice(m));
      this.subscribed = true;
    } catch {
      // Redis is down: the next catch-up (when it is back) subscribes.
    }
  }

  /** Writes the backlog, then reads the whole set and hands it to the queue. */
  private async catchUp(): Promise<void> {
    if (!this.env.link.up) return;
    await this.subscribe();
    await this.flush();
    if (this.backlog.length > 0) return;
    await this.restoreIfEmptied();
    const all = await this.list();
    this.apply?.reconcile(all);
  }

  /**
   * A Redis without the epoch key has lost (or never had) the shared state: instead of reconciling
   * every node to an empty set, which would lift every suspension, each node writes back what it
   * holds, then marks the data as present.
   */
  private async restoreIfEmptied(): Promise<void> {
    const { link, keys } = this.env;
    if ((await link.call<string | null>(['GET', keys.epoch])) !== null) return;
    const held = this.apply?.current() ?? [];
    for (const s of held)
      await link.call(['HSET', keys.suspensions, selectorField(s.binding, s.domain), JSON.stringify(s)]);
    await link.call(['SET', keys.epoch, `${this.env.node}@${this.env.clock.now()}`, 'NX']);
    if (held.length > 0)
      this.env.logger.warn({ suspensions: held.length }, 'cluster: redis had lost its data; suspensions written back');
  }

  /** Writes the local changes to Redis in order and tells the other nodes. */
  private async flush(): Promise<void> {
    const { link, keys, node } = this.env;
    while (this.backlog.length > 0 && link.up) {
      const op = this.backlog[0]!;
      let notice: Notice;
      if (op.op === 'suspend') {
        const field = selectorField(op.s.binding, op.s.domain);
        await link.call(['HSET', keys.suspensions, field, JSON.stringify(op.s)]);
        notice = { op: 'suspend', from: node, suspension: op.s };
      } else {
        await link.call(['HDEL', keys.suspensions, selectorField(op.sel.binding, op.sel.domain)]);
        notice = { op: 'resume', from: node, selector: op.sel };
      }
      await link.call(['PUBLISH', keys.suspensionChannel, JSON.stringify(notice)]);
      this.backlog.shift();
    }
  }

  private onNotice(message: string): void {
    let n: Notice;
    try {
      n = JSON.parse(message) as Notice;
    } catch {
      this.env.logger.warn({ message }, 'cluster: unreadable suspension notice ignored');
      return;
    }
    if (n.from === this.env.node || !this.apply) return;
    if (n.op === 'suspend') this.apply.suspend(n.suspension);
    else this.apply.resume(n.selector);
  }
}

/** HGETALL's reply as [field, value] pairs: a flat array (RESP2), an object or a Map (RESP3). */
function hashEntries(raw: unknown): [string, string][] {
  if (Array.isArray(raw)) {
    const out: [string, string][] = [];
    for (let i = 0; i + 1 < raw.length; i += 2) out.push([String(raw[i]), String(raw[i + 1])]);
    return out;
  }
  if (raw instanceof Map) return [...raw].map(([k, v]) => [String(k), String(v)]);
  if (typeof raw === 'object' && raw !== null) return Object.entries(raw).map(([k, v]) => [k, String(v)]);
  return [];
}
