/**
 * Metrics of the HTTP injection API and the webhooks (docs/http-api.md, docs/webhooks.md), read
 * from `http.stats` and `webhooks.stats` at scrape time; absent when the service is off. Labels
 * are bounded: the HTTP status and the operator's webhook endpoint names.
 */
import { Gauge, type Registry } from 'prom-client';
import type { Bus } from '@petrel/core';

type Row = Readonly<Record<string, string | number>>;

export function registerIntegrationMetrics(r: Registry, bus: Bus): void {
  const webhookRows = async (): Promise<readonly Row[]> => {
    if (!bus.hasHandler('webhooks.stats')) return [];
    const rows = (await bus.request('webhooks.stats', {})).endpoints;
    return Array.isArray(rows) ? rows : [];
  };
  const webhook = (name: string, help: string, key: string): void => {
    new Gauge({
      name,
      help,
      labelNames: ['endpoint'],
      registers: [r],
      async collect() {
        this.reset();
        for (const row of await webhookRows()) this.set({ endpoint: String(row.endpoint) }, Number(row[key]));
      },
    });
  };
  webhook(
    'petrel_webhook_backlog_bytes',
    'Event-log bytes not yet delivered to the webhook endpoint (behind its durable cursor)',
    'backlog_bytes',
  );
  webhook('petrel_webhook_delivered_records_total', 'Event records delivered (2xx) since start', 'delivered');
  webhook('petrel_webhook_failed_posts_total', 'Webhook POSTs that failed and are retried', 'failures');
  webhook(
    'petrel_webhook_last_success_timestamp_seconds',
    'Time of the last 2xx (0 = none since start)',
    'last_success',
  );

  const httpStats = async () => (bus.hasHandler('http.stats') ? await bus.request('http.stats', {}) : undefined);
  new Gauge({
    name: 'petrel_http_responses_total',
    help: 'HTTP injection API responses by status code',
    labelNames: ['status'],
    registers: [r],
    async collect() {
      this.reset();
      const rows = (await httpStats())?.responses;
      if (Array.isArray(rows)) for (const row of rows) this.set({ status: String(row.status) }, Number(row.count));
    },
  });
  new Gauge({
    name: 'petrel_http_injected_messages_total',
    help: 'Messages stored through the HTTP injection API (replayed Idempotency-Key requests not counted)',
    registers: [r],
    async collect() {
      const s = await httpStats();
      this.set(typeof s?.injected === 'number' ? s.injected : 0);
    },
  });
}
