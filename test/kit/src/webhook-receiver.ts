/**
 * A plain node:http webhook receiver for the webhooks' unit and end-to-end tests (docs/webhooks.md):
 * the body shape `{ records: [{ id, record }] }`, de-duplication by id, stop and start on one port.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One record as the receiver got it: its id and the event-log record. */
export interface ReceivedRecord {
  readonly id: string;
  readonly record: Record<string, unknown>;
}

/**
 * A webhook receiver: a plain node:http server that answers 200, checks each POST's signature with
 * `verify` and keeps every record; it can be stopped and started again on the same port.
 */
export class WebhookReceiver {
  readonly records: ReceivedRecord[] = [];
  badSignatures = 0;
  posts = 0;
  private server: Server | undefined;
  private waiters: { pred: () => boolean; resolve: () => void }[] = [];
  port = 0;

  constructor(private readonly verify: (body: Buffer, signature: string) => boolean) {}

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        this.posts++;
        if (!this.verify(body, String(req.headers['petrel-signature'] ?? ''))) this.badSignatures++;
        this.records.push(...(JSON.parse(body.toString()) as { records: ReceivedRecord[] }).records);
        res.writeHead(200).end('ok');
        this.check();
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }

  /** Records de-duplicated by id, in arrival order. */
  unique(): ReceivedRecord[] {
    const seen = new Set<string>();
    return this.records.filter((r) => !seen.has(r.id) && seen.add(r.id));
  }

  /** Resolves when `pred` holds after a POST (or at once), rejects after `ms`. */
  until(what: string, pred: () => boolean, ms = 30_000): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
      this.waiters.push({
        pred,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  private check(): void {
    const ready = this.waiters.filter((w) => w.pred());
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  }
}
