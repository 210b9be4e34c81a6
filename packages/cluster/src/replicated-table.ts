/**
 * A table of keyed JSON entries shared by every node, each node keeping its own copy (docs/scaling.md):
 * the truth is one Redis hash (id → JSON), so a full read is one atomic HGETALL; every change is also
 * published on a channel, so the other nodes apply it within milliseconds; a node re-reads the whole
 * hash every reconcile_interval and whenever Redis comes back, in case it missed a notice. Changes made
 * while Redis is unreachable apply locally at once (the caller did that) and are written, in order,
 * when it is back. A Redis that lost its data (no `<hash>:epoch` key) gets every node's entries back
 * instead of every node reconciling to an empty table.
 *
 * Every write also increments `<hash>:version`: the periodic re-read first reads that counter and
 * skips the full read when neither it nor the epoch moved since the last one, so a large table (the
 * suppression list) costs two GETs per reconcile_interval when nothing changes.
 *
 * Suspensions, shaping states and the suppression list use it: entries set and lifted on any node,
 * needed locally without a network call.
 */
import type { Clock, Logger, SharedTable, SharedTableApply, TimerHandle } from '@petrel/core';
import type { RedisLink } from './redis-link.js';

/** How the other nodes' changes reach the local copy (core's port). */
export type TableApply<T> = SharedTableApply<T>;

/** Fields written back to an emptied Redis per HSET (one round trip each). */
const RESTORE_BATCH = 500;
/** Local changes written per pipelined round. */
const FLUSH_BATCH = 100;

export interface ReplicatedTableEnv<T> {
  readonly link: RedisLink;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly node: string;
  readonly reconcileIntervalMs: number;
  /** The Redis hash; `<hash>:changes` is its channel and `<hash>:epoch` its epoch key. */
  readonly hash: string;
  /** What the table holds, for log lines ("suspensions"). */
  readonly what: string;
  /** False for an entry that has ended (a timed suspension): it is left out and removed from the hash. */
  readonly live?: (value: T, now: number) => boolean;
}

type Notice<T> =
  | { readonly op: 'put'; readonly from: string; readonly id: string; readonly value: T }
  | { readonly op: 'remove'; readonly from: string; readonly id: string };

type Op<T> =
  | { readonly op: 'put'; readonly id: string; readonly value: T }
  | { readonly op: 'remove'; readonly id: string };

export class ReplicatedTable<T> implements SharedTable<T> {
  private apply: TableApply<T> | undefined;
  /** Local changes not yet written to Redis (made while it was down), oldest first. */
  private readonly backlog: Op<T>[] = [];
  /** One chain of Redis work: writes and reads in the order they were asked for. */
  private chain: Promise<void> = Promise.resolve();
  private timer: TimerHandle | undefined;
  private stopped = false;
  private subscribed = false;
  /** `version|epoch` at the last full read handed to the owner; a re-read with the same skips it. */
  private seen: string | undefined;

  constructor(private readonly env: ReplicatedTableEnv<T>) {
    env.link.onUp(() => this.enqueue(() => this.catchUp(true)));
  }

  private get channel(): string {
    return `${this.env.hash}:changes`;
  }

  attach(apply: TableApply<T>): () => void {
    this.apply = apply;
    // The owner attaches after the first read: give it the shared table now, not a reconcile later.
    this.enqueue(() => this.catchUp(true));
    return () => {
      if (this.apply === apply) this.apply = undefined;
    };
  }

  async start(): Promise<void> {
    await this.subscribe();
    this.enqueue(() => this.catchUp(true));
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

  /** An entry set on this node: tell the others. */
  put(id: string, value: T): void {
    this.backlog.push({ op: 'put', id, value });
    this.enqueue(() => this.flush());
  }

  /** An entry removed on this node: tell the others. */
  remove(id: string): void {
    this.backlog.push({ op: 'remove', id });
    this.enqueue(() => this.flush());
  }

  /** Every shared entry still live; ended ones leave the hash. */
  async list(): Promise<Map<string, T>> {
    const { link, hash } = this.env;
    const raw = await link.call<unknown>(['HGETALL', hash]);
    const now = this.env.clock.now();
    const out = new Map<string, T>();
    const ended: string[] = [];
    for (const [id, v] of hashEntries(raw)) {
      try {
        const value = JSON.parse(v) as T;
        if (this.env.live === undefined || this.env.live(value, now)) out.set(id, value);
        else ended.push(id);
      } catch {
        this.env.logger.warn({ id, value: v }, `cluster: unreadable shared entry in ${this.env.what} ignored`);
      }
    }
    if (ended.length > 0) await link.call(['HDEL', hash, ...ended]).catch(() => undefined);
    return out;
  }

  private enqueue(work: () => Promise<void>): void {
    this.chain = this.chain.then(work).catch((err: unknown) => {
      this.env.logger.debug({ err }, `cluster: ${this.env.what} sync deferred`);
    });
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.env.clock.setTimer(this.env.reconcileIntervalMs, () => {
      this.enqueue(() => this.catchUp(false));
      this.schedule();
    });
  }

  /** Subscribes to the change notices once; node-redis keeps the subscription across reconnects. */
  private async subscribe(): Promise<void> {
    if (this.subscribed) return;
    try {
      await this.env.link.subscribe(this.channel, (m) => this.onNotice(m));
      this.subscribed = true;
    } catch {
      // Redis is down: the next catch-up (when it is back) subscribes.
    }
  }

  /** Full reads handed to the owner, and catch-up rounds done (read or skipped): for tests and status. */
  reads = 0;
  rounds = 0;

  /**
   * Writes the backlog, then reads the whole table and hands it to the owner; a periodic round
   * (`force` false) skips the read when no node wrote since the last one.
   */
  private async catchUp(force: boolean): Promise<void> {
    if (!this.env.link.up) return;
    await this.subscribe();
    await this.flush();
    if (this.backlog.length > 0) return;
    const epoch = await this.restoreIfEmptied();
    const version = await this.env.link.call<string | null>(['GET', `${this.env.hash}:version`]);
    const mark = `${version ?? 0}|${epoch}`;
    this.rounds++;
    if (!force && mark === this.seen) return;
    const all = await this.list();
    if (!this.apply) return;
    await this.apply.reconcile(all);
    this.reads++;
    this.seen = mark;
  }

  /**
   * A Redis without the table's epoch key has lost (or never had) the shared state: instead of
   * reconciling every node to an empty table, each node writes back what it holds, then marks the
   * data as present.
   */
  private async restoreIfEmptied(): Promise<string> {
    const { link, hash } = this.env;
    const epoch = `${hash}:epoch`;
    const present = await link.call<string | null>(['GET', epoch]);
    if (present !== null) return present;
    let n = 0;
    let fields: string[] = [];
    const write = async (): Promise<void> => {
      if (fields.length > 0) await link.call(['HSET', hash, ...fields]);
      fields = [];
    };
    for (const [id, value] of (await this.apply?.current()) ?? []) {
      fields.push(id, JSON.stringify(value));
      if (++n % RESTORE_BATCH === 0) await write();
    }
    await write();
    const mine = `${this.env.node}@${this.env.clock.now()}`;
    await link.call(['SET', epoch, mine, 'NX']);
    if (n > 0) this.env.logger.warn({ entries: n }, `cluster: redis had lost its data; ${this.env.what} written back`);
    return (await link.call<string | null>(['GET', epoch])) ?? mine;
  }

  /**
   * Writes the local changes to Redis in order and tells the other nodes, FLUSH_BATCH changes per
   * round: their commands go out together (node-redis pipelines one tick's commands on the one
   * connection, and Redis runs them in order), so a bulk import is not one round trip per entry.
   */
  private async flush(): Promise<void> {
    const { link, hash, node } = this.env;
    while (this.backlog.length > 0 && link.up) {
      const ops = this.backlog.slice(0, FLUSH_BATCH);
      const writes = ops.map((op) =>
        op.op === 'put' ? link.call(['HSET', hash, op.id, JSON.stringify(op.value)]) : link.call(['HDEL', hash, op.id]),
      );
      // After the writes: a node that reads the new version finds the changes in the hash.
      const version = link.call(['INCR', `${hash}:version`]);
      const notices = ops.map((op) => {
        const notice: Notice<T> =
          op.op === 'put'
            ? { op: 'put', from: node, id: op.id, value: op.value }
            : { op: 'remove', from: node, id: op.id };
        return link.call(['PUBLISH', this.channel, JSON.stringify(notice)]);
      });
      await Promise.all([...writes, version, ...notices]);
      this.backlog.splice(0, ops.length);
    }
  }

  private onNotice(message: string): void {
    let n: Notice<T>;
    try {
      n = JSON.parse(message) as Notice<T>;
    } catch {
      this.env.logger.warn({ message }, `cluster: unreadable ${this.env.what} notice ignored`);
      return;
    }
    if (n.from === this.env.node || !this.apply) return;
    if (n.op === 'put') this.apply.put(n.id, n.value);
    else this.apply.remove(n.id);
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
