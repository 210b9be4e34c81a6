/**
 * An HTTPS server that publishes MTA-STS policies (RFC 8461 §3.3) for tests: GET
 * /.well-known/mta-sts.txt answers with the policy of the domain in the Host header
 * ("mta-sts.<domain>[:port]"), or 404. Policies can be replaced while it runs (id changes).
 * Node's own https server: an independent HTTP implementation, not Petrel code.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/** A policy body with text/plain, or a whole response (status, media type) to test refusals. */
export type PublishedPolicy = string | { readonly status: number; readonly type?: string; readonly body: string };

export interface MtaStsServer {
  readonly port: number;
  /** Sets (or with undefined, removes) the policy of a domain. */
  publish(domain: string, policy: PublishedPolicy | undefined): void;
  /** Policy fetches served so far, per domain. */
  fetches(domain: string): number;
  stop(): Promise<void>;
}

/** Starts the server on host (default 127.0.0.1), a free port, with a certificate for the mta-sts.<domain> names. */
export async function startMtaStsServer(opts: {
  readonly cert: string;
  readonly key: string;
  readonly host?: string;
  readonly policies?: Readonly<Record<string, PublishedPolicy>>;
}): Promise<MtaStsServer> {
  const policies = new Map<string, PublishedPolicy>(Object.entries(opts.policies ?? {}));
  const counts = new Map<string, number>();
  const server = createServer({ cert: readFileSync(opts.cert), key: readFileSync(opts.key) }, (req, res) => {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    const domain = host.startsWith('mta-sts.') ? host.slice('mta-sts.'.length) : '';
    const policy = policies.get(domain);
    counts.set(domain, (counts.get(domain) ?? 0) + 1);
    if (req.url !== '/.well-known/mta-sts.txt' || policy === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const r = typeof policy === 'string' ? { status: 200, type: 'text/plain', body: policy } : policy;
    res.writeHead(r.status, { 'content-type': r.type ?? 'text/plain' }).end(r.body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, opts.host ?? '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    publish: (domain, policy) => (policy === undefined ? policies.delete(domain) : policies.set(domain, policy)),
    fetches: (domain) => counts.get(domain) ?? 0,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A policy file (RFC 8461 §3.2) with CRLF line ends. */
export function mtaStsPolicy(mode: 'enforce' | 'testing' | 'none', mx: readonly string[], maxAge = 86_400): string {
  return ['version: STSv1', `mode: ${mode}`, ...mx.map((m) => `mx: ${m}`), `max_age: ${maxAge}`, ''].join('\r\n');
}
