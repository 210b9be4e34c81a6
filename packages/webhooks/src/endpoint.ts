/**
 * One webhook endpoint: reads its records from the event log (EventTail), filters them by type,
 * POSTs them in batches, signed, and saves its cursor in the spool database (`spool.put_record`,
 * fsync'd) only after the endpoint answered 2xx. A failed POST is retried with exponential
 * back-off and jitter, forever: nothing is skipped, so delivery is at least once (a crash between
 * the 2xx and the saved cursor sends that batch again; receivers de-duplicate by record id).
 */
import { randomUUID } from 'node:crypto';
import type { Bus, Clock, Logger, WebhookConfig } from '@petrel/core';
import { EventTail, type TailLine, type TailPosition } from './event-tail.js';
import { SIGNATURE_HEADER, signPayload } from './signature.js';

/** Spool record key of an endpoint's cursor. */
export const cursorKey = (name: string): string => `webhook:${name}`;

/** Counters of one endpoint, for /metrics. */
export interface EndpointStats {
  readonly endpoint: string;
  readonly backlogBytes: number;
  readonly delivered: number;
  readonly batches: number;
  readonly failures: number;
  /** Epoch ms of the last 2xx; 0 = none since start. */
  readonly lastSuccess: number;
}

export interface EndpointDeps {
  readonly bus: Bus;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The event log directory and file name. */
  readonly dir: string;
  readonly file: string;
  /** Cap of a wait when nothing wakes the endpoint (rotation, a missed wake-up). */
  readonly pollMs: number;
}

export class Endpoint {
  private readonly tail: EventTail;
  private stopped = false;
  private wake: (() => void) | undefined;
  private wakeOnStop: (() => void) | undefined;
  private abort: AbortController | undefined;
  private running: Promise<void> | undefined;
  private delivered = 0;
  private batches = 0;
  private failures = 0;
  private lastSuccess = 0;

  constructor(
    private readonly cfg: WebhookConfig,
    private readonly deps: EndpointDeps,
  ) {
    this.tail = new EventTail(deps.dir, deps.file, deps.logger);
  }

  /** Opens at the saved cursor (or the end of the log, saved at once) and starts the delivery loop. */
  async start(): Promise<void> {
    const [row] = await this.deps.bus.request('spool.records', { keys: [cursorKey(this.cfg.name)] });
    const saved = row ? (JSON.parse(row.value) as TailPosition) : undefined;
    const at = await this.tail.open(saved);
    if (!saved) await this.save(at);
    this.running = this.loop().catch((err: unknown) =>
      this.deps.logger.error({ err, endpoint: this.cfg.name }, 'webhook delivery loop failed'),
    );
  }

  /** New records may be there (the event log just wrote). */
  notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.abort();
    this.notify();
    this.wakeOnStop?.();
    await this.running;
    await this.tail.close();
  }

  stats(): EndpointStats {
    return {
      endpoint: this.cfg.name,
      backlogBytes: this.tail.backlogBytes(),
      delivered: this.delivered,
      batches: this.batches,
      failures: this.failures,
      lastSuccess: this.lastSuccess,
    };
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const { records, end } = await this.collect();
      if (this.stopped) return;
      if (records.length > 0 && !(await this.deliver(records))) return;
      if (end) await this.save(end);
    }
  }

  /** Reads until a batch is full or batch_wait has passed since its first record; skips filtered types. */
  private async collect(): Promise<{ records: TailLine[]; end: TailPosition | undefined }> {
    const records: TailLine[] = [];
    let end: TailPosition | undefined;
    let firstAt = 0;
    const types = new Set(this.cfg.events);
    while (!this.stopped) {
      const lines = await this.tail.read(this.cfg.batch_size - records.length);
      for (const l of lines) {
        end = l.end;
        if (types.size > 0 && !types.has(typeOf(l.text))) continue;
        if (records.length === 0) firstAt = this.deps.clock.now();
        records.push(l);
      }
      if (records.length >= this.cfg.batch_size) break;
      if (lines.length > 0 && records.length === 0) return { records, end }; // only filtered lines: save the cursor
      const waitMs = records.length > 0 ? firstAt + this.cfg.batch_wait - this.deps.clock.now() : this.deps.pollMs;
      if (records.length > 0 && waitMs <= 0) break;
      if (lines.length === 0) await this.sleep(waitMs);
    }
    return { records, end };
  }

  /** POSTs one batch until a 2xx; false when stopped first. */
  private async deliver(records: readonly TailLine[]): Promise<boolean> {
    const batch = randomUUID();
    // Each record exactly as the event log wrote it (the line's JSON), with its unique id.
    const body = `{"batch":${JSON.stringify(batch)},"endpoint":${JSON.stringify(this.cfg.name)},"records":[${records
      .map((r) => `{"id":${JSON.stringify(r.id)},"record":${r.text}}`)
      .join(',')}]}`;
    let delay = this.cfg.retry_interval;
    for (let attempt = 1; !this.stopped; attempt++) {
      const failure = await this.post(body, batch);
      if (failure === undefined) {
        this.delivered += records.length;
        this.batches++;
        this.lastSuccess = this.deps.clock.now();
        return true;
      }
      this.failures++;
      const wait = Math.round(delay * (0.5 + Math.random() / 2));
      this.deps.logger.warn(
        { endpoint: this.cfg.name, attempt, failure, retryInMs: wait, records: records.length },
        'webhook POST failed; retrying',
      );
      await this.sleep(wait, true);
      delay = Math.min(delay * 2, this.cfg.max_retry_interval);
    }
    return false;
  }

  /** undefined on 2xx, else what went wrong. */
  private async post(body: string, batch: string): Promise<string | undefined> {
    this.abort = new AbortController();
    const timer = setTimeout(() => this.abort?.abort(), this.cfg.timeout);
    try {
      const res = await fetch(this.cfg.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Petrel-Webhooks/1',
          'petrel-batch-id': batch,
          [SIGNATURE_HEADER.toLowerCase()]: signPayload(this.cfg.secret, body, this.deps.clock.now()),
        },
        body,
        signal: this.abort.signal,
      });
      await res.arrayBuffer().catch(() => undefined);
      return res.status >= 200 && res.status < 300 ? undefined : `HTTP ${res.status}`;
    } catch (err) {
      return (err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message;
    } finally {
      clearTimeout(timer);
    }
  }

  private async save(at: TailPosition): Promise<void> {
    try {
      await this.deps.bus.request('spool.put_record', { key: cursorKey(this.cfg.name), value: JSON.stringify(at) });
    } catch (err) {
      // Not fatal: the batch is sent again after a restart (at least once).
      this.deps.logger.warn({ err, endpoint: this.cfg.name }, 'webhook cursor not saved');
    }
  }

  /** Waits `ms`, or until notify() unless `retry` (a back-off is not cut short by new records). */
  private sleep(ms: number, retry = false): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, Math.max(0, ms));
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      if (!retry) this.wake = done;
      this.wakeOnStop = done;
    });
  }
}

/** The record's `type` field, read without parsing the whole line when it comes first (it does: docs/logs.md). */
function typeOf(line: string): string {
  const m = /"type":"([a-z_]+)"/.exec(line);
  return m ? m[1]! : '';
}
