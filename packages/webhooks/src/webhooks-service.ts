/**
 * The webhooks service (docs/webhooks.md): one Endpoint per `[[webhook]]`, each tailing the event
 * log with its own durable cursor in the spool database. The event log writes each record inside
 * the bus callback of its fact and subscribes first, so the same events wake the endpoints here
 * once their records are in the file; a poll covers rotation and anything missed.
 */
import type { EventName, Logger, Service, ServiceContext, ServiceStats } from '@petrel/core';
import { Endpoint } from './endpoint.js';

/** The event log's file in log_dir (@petrel/eventlog EVENTS_FILE; the app's test holds them equal). */
export const EVENTS_FILE = 'events.jsonl';

/** Bus events after which the event log has written records. */
const WAKE_EVENTS: readonly EventName[] = [
  'message.spooled',
  'delivery.attempted',
  'delivery.failed',
  'message.rejected',
  'bounce.generated',
];

export interface WebhooksOptions {
  /** Longest wait before looking at the log again without a wake-up. Default 1 s. */
  readonly pollMs?: number;
}

export class WebhooksService implements Service {
  readonly name = 'webhooks';
  private readonly logger: Logger;
  private endpoints: Endpoint[] = [];
  private readonly teardown: (() => void)[] = [];
  private scheduled = false;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly options: WebhooksOptions = {},
  ) {
    this.logger = ctx.logger;
  }

  async start(): Promise<void> {
    const { config, bus, clock } = this.ctx;
    if (config.webhooks.length === 0) return;
    for (const cfg of config.webhooks) {
      const e = new Endpoint(cfg, {
        bus,
        clock,
        logger: this.logger.child({ endpoint: cfg.name }),
        dir: config.log_dir,
        file: EVENTS_FILE,
        pollMs: this.options.pollMs ?? 1000,
      });
      await e.start();
      this.endpoints.push(e);
    }
    for (const ev of WAKE_EVENTS) this.teardown.push(bus.subscribe(ev, () => this.wake()));
    this.teardown.push(bus.handle('webhooks.stats', () => this.stats()));
    this.logger.info({ endpoints: config.webhooks.map((w) => w.name) }, 'webhooks started');
  }

  async stop(): Promise<void> {
    for (const off of this.teardown.splice(0)) off();
    await Promise.all(this.endpoints.map((e) => e.stop()));
    this.endpoints = [];
  }

  /** Per endpoint: backlog bytes, records delivered, batches, failed POSTs, last success. */
  stats(): ServiceStats {
    return {
      endpoints: this.endpoints.map((e) => {
        const s = e.stats();
        return {
          endpoint: s.endpoint,
          backlog_bytes: s.backlogBytes,
          delivered: s.delivered,
          batches: s.batches,
          failures: s.failures,
          last_success: Math.floor(s.lastSuccess / 1000),
        };
      }),
    };
  }

  /** One wake-up per event-loop turn, however many records the turn wrote. */
  private wake(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      for (const e of this.endpoints) e.notify();
    });
  }
}
