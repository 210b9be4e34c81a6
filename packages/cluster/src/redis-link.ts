/**
 * The node's one link to Redis: a command connection and a subscriber connection (RESP pub/sub
 * takes a connection of its own), every call bounded by `command_timeout`, and a health state
 * the rest of the package reads before it calls at all. A failed or late call marks Redis down
 * (logged once per outage, counted); the heartbeat's PING, or the client reconnecting, marks it up
 * again, and the `up` listeners then reconcile (leases re-registered, suspensions re-read).
 */
import { createHash } from 'node:crypto';
import { createClient } from '@redis/client';
import { PetrelError, type Clock, type Logger, type TimerHandle } from '@petrel/core';

export type LinkState = 'up' | 'down';

/** How often a link that is down tries a PING. */
const PROBE_MS = 250;

export interface RedisLinkOptions {
  readonly url: string;
  /** Client name shown by CLIENT LIST: the node's name. */
  readonly name: string;
  readonly commandTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** The subset of the node-redis client the link uses (keeps the client's generics out of the way). */
interface Client {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  connect(): Promise<unknown>;
  close(): Promise<void>;
  destroy(): void;
  sendCommand(args: readonly string[]): Promise<unknown>;
  subscribe(channel: string, listener: (message: string) => void): Promise<void>;
  on(event: 'error' | 'ready', listener: (arg?: unknown) => void): unknown;
}
type Reply = unknown;

/** A Lua script run by EVALSHA, loaded by EVAL when Redis does not know it yet (restart, flush). */
export interface Script {
  readonly source: string;
  readonly sha: string;
}

export function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/** The URL as status and logs show it: no password. */
export function redactUrl(url: string): string {
  return url.replace(
    /\/\/([^@/]*)@/,
    (_m, auth: string) => `//${auth.includes(':') ? `${auth.split(':')[0]}:***` : '***'}@`,
  );
}

export class RedisLink {
  private readonly client: Client;
  private readonly subscriber: Client;
  private current: LinkState = 'down';
  private since: number | undefined;
  private outages = 0;
  private readonly upListeners: (() => void)[] = [];
  private stopped = false;
  private probeTimer: TimerHandle | undefined;

  constructor(private readonly options: RedisLinkOptions) {
    const make = (role: string): Client => {
      const c: Client = createClient({
        url: options.url,
        name: `petrel-${options.name}-${role}`,
        // Commands fail at once while the link is down instead of queueing behind a reconnect:
        // the callers fall back to local limits rather than wait (nothing waits on Redis).
        disableOfflineQueue: true,
        socket: {
          connectTimeout: options.connectTimeoutMs,
          // Reconnect for ever, at most a second apart: Redis coming back is noticed within a second.
          reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 5), 1000),
        },
      }) as unknown as Client;
      // Without a listener an 'error' event would crash the process; the state machine reports it.
      c.on('error', (err: unknown) => this.failed(err));
      return c;
    };
    this.client = make('cmd');
    this.subscriber = make('sub');
    this.client.on('ready', () => this.ok());
  }

  get state(): LinkState {
    return this.current;
  }

  get up(): boolean {
    return this.current === 'up';
  }

  /** When the current outage began (epoch ms); undefined while up. */
  get degradedSince(): number | undefined {
    return this.since;
  }

  /** Outages since start: the count behind petrel_cluster_degradations_total. */
  get degradations(): number {
    return this.outages;
  }

  /** Called on every down → up transition (and the first connection). */
  onUp(listener: () => void): void {
    this.upListeners.push(listener);
  }

  /**
   * Starts connecting; resolves when connected or after connect_timeout, whichever is first.
   * A node whose Redis is down at start runs degraded and catches up when it comes.
   */
  async start(): Promise<void> {
    this.since = this.options.clock.now();
    const connect = (c: Client): Promise<unknown> =>
      c.connect().catch((err: unknown) => {
        this.failed(err);
      });
    const both = Promise.all([connect(this.client), connect(this.subscriber)]);
    let timer: TimerHandle | undefined;
    await Promise.race([
      both,
      new Promise<void>((resolve) => {
        timer = this.options.clock.setTimer(this.options.connectTimeoutMs, resolve);
      }),
    ]);
    this.options.clock.clearTimer(timer);
    if (!this.up) {
      this.scheduleProbe();
      this.outages++;
      this.options.logger.warn(
        { redis: redactUrl(this.options.url), code: 'PETREL_ERR_CLUSTER_REDIS' },
        'cluster: redis unreachable at start; delivering under local limits',
      );
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.options.clock.clearTimer(this.probeTimer);
    for (const c of [this.subscriber, this.client]) {
      try {
        if (c.isOpen) await c.close();
        else c.destroy();
      } catch {
        c.destroy();
      }
    }
  }

  /**
   * One Redis command, bounded by command_timeout; a failure marks the link down and throws
   * PETREL_ERR_CLUSTER_REDIS.
   */
  async call<T = Reply>(args: readonly string[]): Promise<T> {
    return this.bounded(args[0] ?? '', () => this.client.sendCommand(args) as Promise<T>);
  }

  /** Runs a script by EVALSHA (EVAL when Redis does not have it), bounded like call(). */
  async run<T = Reply>(s: Script, keys: readonly string[], args: readonly (string | number)[]): Promise<T> {
    const tail = [String(keys.length), ...keys, ...args.map(String)];
    return this.bounded('EVALSHA', async () => {
      try {
        return (await this.client.sendCommand(['EVALSHA', s.sha, ...tail])) as T;
      } catch (err) {
        if (!String((err as Error)?.message).startsWith('NOSCRIPT')) throw err;
        return (await this.client.sendCommand(['EVAL', s.source, ...tail])) as T;
      }
    });
  }

  /** PING: the heartbeat's probe; true when Redis answered in time. */
  async probe(): Promise<boolean> {
    try {
      await this.call(['PING']);
      return true;
    } catch {
      return false;
    }
  }

  /** Subscribes to a channel on the subscriber connection (re-subscribed by the client after a reconnect). */
  async subscribe(channel: string, listener: (message: string) => void): Promise<void> {
    await this.bounded('SUBSCRIBE', () => this.subscriber.subscribe(channel, (m: string) => listener(m)));
  }

  private async bounded<T>(command: string, work: () => Promise<T>): Promise<T> {
    if (!this.client.isReady) {
      const err = new PetrelError('PETREL_ERR_CLUSTER_REDIS', `redis is not connected (${command})`, { command });
      this.failed(err);
      throw err;
    }
    const ms = this.options.commandTimeoutMs;
    let timer: TimerHandle | undefined;
    const late = new Promise<never>((_resolve, reject) => {
      timer = this.options.clock.setTimer(ms, () =>
        reject(
          new PetrelError('PETREL_ERR_CLUSTER_REDIS', `redis did not answer ${command} within ${ms} ms`, { command }),
        ),
      );
    });
    try {
      const out = await Promise.race([work(), late]);
      this.ok();
      return out;
    } catch (err) {
      this.failed(err);
      throw isCluster(err)
        ? err
        : new PetrelError(
            'PETREL_ERR_CLUSTER_REDIS',
            `redis ${command} failed: ${(err as Error)?.message}`,
            { command },
            {
              cause: err,
            },
          );
    } finally {
      this.options.clock.clearTimer(timer);
    }
  }

  private ok(): void {
    if (this.current === 'up' || this.stopped || !this.client.isReady) return;
    const down = this.since;
    this.current = 'up';
    this.since = undefined;
    // After an outage at the same level as its start, so that a log filtered at warn shows both ends.
    const log =
      this.outages > 0
        ? this.options.logger.warn.bind(this.options.logger)
        : this.options.logger.info.bind(this.options.logger);
    log(
      { redis: redactUrl(this.options.url), downMs: down === undefined ? 0 : this.options.clock.now() - down },
      'cluster: redis reachable; shared limits in force',
    );
    for (const l of this.upListeners) {
      try {
        l();
      } catch (err) {
        this.options.logger.error({ err }, 'cluster: reconcile after reconnect failed');
      }
    }
  }

  /**
   * While down, PING every PROBE_MS until Redis answers: a Redis that was only slow keeps its
   * socket, so no reconnect would say it is back.
   */
  private scheduleProbe(): void {
    if (this.probeTimer !== undefined || this.stopped) return;
    this.probeTimer = this.options.clock.setTimer(PROBE_MS, () => {
      this.probeTimer = undefined;
      if (this.current === 'up' || this.stopped) return;
      void this.probe().finally(() => {
        if (this.current === 'down') this.scheduleProbe();
      });
    });
  }

  private failed(err: unknown): void {
    this.scheduleProbe();
    if (this.current === 'down' || this.stopped) return;
    this.current = 'down';
    this.since = this.options.clock.now();
    this.outages++;
    this.options.logger.warn(
      { err, redis: redactUrl(this.options.url), code: 'PETREL_ERR_CLUSTER_REDIS' },
      'cluster: redis unreachable; delivering under local limits',
    );
  }
}

function isCluster(err: unknown): err is PetrelError {
  return err instanceof PetrelError && err.code === 'PETREL_ERR_CLUSTER_REDIS';
}
