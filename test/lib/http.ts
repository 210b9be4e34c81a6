/**
 * The HTTP injection API and webhooks from a test's side: a tokens file, the `[http]` and
 * `[[webhook]]` config, an injection through Node's fetch or through curl (independent clients),
 * and a plain node:http webhook receiver that can be stopped and started on the same port.
 */
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { hashPassword } from '@petrel/passwords';
import { run } from '@petrel/testkit';
import { verifySignature } from '@petrel/webhooks';

/** Writes `dir/http-tokens` with client `app` (secret `app-secret`); returns the file and the bearer token. */
export async function writeTokens(dir: string): Promise<{ file: string; token: string }> {
  const file = join(dir, 'http-tokens');
  writeFileSync(file, `app:${await hashPassword('app-secret', { N: 1024, r: 8, p: 1 })}\n`, { mode: 0o600 });
  return { file, token: 'app.app-secret' };
}

/** The [http] table for `port` and a tokens file. */
export function httpConfig(port: number, tokensFile: string): string {
  return `\n[http]\nlisten = "127.0.0.1:${port}"\ntokens_file = ${JSON.stringify(tokensFile)}\n`;
}

export interface InjectReply {
  readonly status: number;
  readonly replayed: boolean;
  readonly body: { messages?: { recipient: string; id: string }[]; type?: string; detail?: string };
}

/** POST /v1/inject with Node's fetch. */
export async function fetchInject(
  port: number,
  token: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<InjectReply> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/inject`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    replayed: res.headers.get('idempotent-replayed') === 'true',
    body: (await res.json()) as InjectReply['body'],
  };
}

/** POST /v1/inject with curl (an independent HTTP client). */
export async function curlInject(
  port: number,
  token: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<InjectReply> {
  const args = ['-sS', '-o', '-', '-w', '\n%{http_code}', '-X', 'POST', `http://127.0.0.1:${port}/v1/inject`];
  args.push('-H', `Authorization: Bearer ${token}`, '-H', 'Content-Type: application/json');
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
  args.push('--data-binary', '@-');
  const r = await run('curl', args, { input: JSON.stringify(body), timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`curl failed (${r.code}): ${r.stderr}`);
  const cut = r.stdout.lastIndexOf('\n');
  return { status: Number(r.stdout.slice(cut + 1)), replayed: false, body: JSON.parse(r.stdout.slice(0, cut)) };
}

/** One record as the receiver got it: its id and the event-log record. */
export interface ReceivedRecord {
  readonly id: string;
  readonly record: Record<string, unknown>;
}

/** A webhook receiver: a plain node:http server that checks each signature and keeps every record. */
export class WebhookReceiver {
  readonly records: ReceivedRecord[] = [];
  badSignatures = 0;
  posts = 0;
  private server: Server | undefined;
  private waiters: { pred: () => boolean; resolve: () => void }[] = [];
  port = 0;

  constructor(private readonly secret: string) {}

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        this.posts++;
        if (!verifySignature(this.secret, body, String(req.headers['petrel-signature'] ?? ''), Date.now()))
          this.badSignatures++;
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
