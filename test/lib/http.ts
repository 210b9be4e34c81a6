/**
 * The HTTP injection API and webhooks from a test's side: a tokens file, the `[http]` and
 * `[[webhook]]` config, an injection through Node's fetch or through curl (independent clients),
 * and the kit's webhook receiver checking Petrel's signatures.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashPassword } from '@petrel/passwords';
import { run, WebhookReceiver } from '@petrel/testkit';
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

/** The kit's webhook receiver, checking each POST's Petrel-Signature with `secret`. */
export function webhookReceiver(secret: string): WebhookReceiver {
  return new WebhookReceiver((body, signature) => verifySignature(secret, body, signature, Date.now()));
}
