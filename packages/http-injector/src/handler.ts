/**
 * Request handling of the HTTP API: routing (ROUTES), bearer authentication, the per-token rate
 * limit, Content-Type and body size checks, JSON parsing, Idempotency-Key, and the problem+json
 * responses (RFC 9457). The work itself is inject.ts.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { TokenBucket, type Clock, type Logger, type PetrelConfig } from '@petrel/core';
import { inject, type InjectorDeps } from './inject.js';
import { validateInjectRequest } from './inject-request.js';
import { OPENAPI } from './openapi.js';
import { HttpProblem } from './problem.js';
import type { ApiClient, TokenDb } from './tokens.js';

/** Every route and the statuses it can answer (the OpenAPI test holds the document to this list). */
export const ROUTES = [
  {
    method: 'POST',
    path: '/v1/inject',
    statuses: [201, 400, 401, 403, 405, 409, 413, 415, 422, 429, 500, 503],
  },
  { method: 'GET', path: '/v1/openapi.json', statuses: [200, 405] },
] as const;

/** Counters for /metrics (`http.stats`). */
export interface HandlerCounters {
  requests: number;
  injected: number;
  replayed: number;
  /** Responses by status code. */
  readonly byStatus: Map<number, number>;
}

export interface HandlerDeps extends InjectorDeps {
  readonly logger: Logger;
  readonly tokens: () => TokenDb;
  readonly counters: HandlerCounters;
}

/** An Idempotency-Key: a bare or quoted (RFC 8941 sf-string) token of 1–255 printable ASCII characters. */
const IDEMPOTENCY_KEY = /^"?([\x20-\x21\x23-\x7e]{1,255})"?$/;

export class Handler {
  private readonly inFlight = new Set<string>();
  private readonly buckets = new Map<string, TokenBucket>();
  private bucketRate: PetrelConfig['http']['rate_limit'];

  constructor(private readonly deps: HandlerDeps) {}

  /** Handles one request; never throws (every failure becomes a problem response). */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.deps.counters.requests++;
    try {
      await this.route(req, res);
    } catch (err) {
      const problem = err instanceof HttpProblem ? err : this.internal(err);
      this.send(res, problem.status, problem.body(), 'application/problem+json', problem.headers);
      // A refused upload is not read to its end: close the connection rather than drain it.
      if (problem.problem === 'request-too-large') res.on('finish', () => req.destroy());
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const route = ROUTES.find((r) => r.path === path);
    if (!route) throw new HttpProblem('not-found', `no resource ${path}; see /v1/openapi.json`);
    if (req.method !== route.method)
      throw new HttpProblem('method-not-allowed', `${path} takes ${route.method}`, [], { Allow: route.method });
    if (route.path === '/v1/openapi.json') {
      this.send(res, 200, OPENAPI, 'application/json');
      return;
    }
    const client = await this.authenticate(req);
    this.rateLimit(client);
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json')
      throw new HttpProblem('unsupported-media-type', `Content-Type must be application/json, found "${type}"`, [], {
        'Accept-Post': 'application/json',
      });
    const keyHeader = req.headers['idempotency-key'];
    let key: string | undefined;
    if (keyHeader !== undefined) {
      const m = typeof keyHeader === 'string' ? IDEMPOTENCY_KEY.exec(keyHeader) : null;
      if (!m)
        throw new HttpProblem('invalid-idempotency-key', 'Idempotency-Key: expected 1–255 printable ASCII characters');
      key = m[1]!;
    }
    const raw = await this.readBody(req);
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      throw new HttpProblem('malformed-request', `the body is not valid JSON: ${(err as Error).message}`);
    }
    const config = this.deps.config();
    const request = validateInjectRequest(parsed, { maxRecipients: config.http.max_recipients });
    const lock = key === undefined ? undefined : `${client.name}\0${key}`;
    if (lock !== undefined && this.inFlight.has(lock))
      throw new HttpProblem('idempotency-conflict', `a request with Idempotency-Key "${key}" is still in flight`);
    if (lock !== undefined) this.inFlight.add(lock);
    try {
      const socket = req.socket as Partial<TLSSocket>;
      const result = await inject(
        request,
        {
          client,
          clientAddress: (req.socket.remoteAddress ?? '').replace(/^::ffff:/, ''),
          clientPort: req.socket.remotePort ?? 0,
          tls: socket.encrypted === true,
          ...(key !== undefined
            ? { idempotency: { key, fingerprint: createHash('sha256').update(raw).digest('hex') } }
            : {}),
        },
        this.deps,
      );
      if (result.replayed) this.deps.counters.replayed++;
      else this.deps.counters.injected += result.messages.length;
      this.send(res, 201, { messages: result.messages }, 'application/json', {
        ...(result.replayed ? { 'Idempotent-Replayed': 'true' } : {}),
      });
    } finally {
      if (lock !== undefined) this.inFlight.delete(lock);
    }
  }

  private async authenticate(req: IncomingMessage): Promise<ApiClient> {
    const h = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(h);
    // RFC 6750 §3: the challenge names the scheme, and the error when a token was given.
    const challenge = m ? 'Bearer realm="petrel", error="invalid_token"' : 'Bearer realm="petrel"';
    const client = m ? await this.deps.tokens().check(m[1]!) : undefined;
    if (!client)
      throw new HttpProblem(
        'unauthorized',
        m ? 'the bearer token is not valid' : 'expected "Authorization: Bearer <client>.<secret>"',
        [],
        { 'WWW-Authenticate': challenge },
      );
    return client;
  }

  private rateLimit(client: ApiClient): void {
    const rate = this.deps.config().http.rate_limit;
    if (!rate) return;
    if (rate !== this.bucketRate) {
      // A reloaded rate starts fresh buckets.
      this.buckets.clear();
      this.bucketRate = rate;
    }
    let bucket = this.buckets.get(client.name);
    if (!bucket) {
      bucket = new TokenBucket(rate, this.deps.clock as Clock);
      this.buckets.set(client.name, bucket);
    }
    if (!bucket.tryTake()) {
      const wait = Math.max(1, Math.ceil(rate.perMs / rate.count / 1000));
      throw new HttpProblem(
        'rate-limited',
        `client "${client.name}" is over http.rate_limit (${rate.count} per ${rate.perMs} ms)`,
        [],
        { 'Retry-After': String(wait) },
      );
    }
  }

  private readBody(req: IncomingMessage): Promise<Buffer> {
    const max = this.deps.config().http.max_request_size;
    const declared = Number(req.headers['content-length'] ?? Number.NaN);
    const tooLarge = (): HttpProblem =>
      new HttpProblem('request-too-large', `the request body is over http.max_request_size (${max} octets)`);
    if (declared > max) return Promise.reject(tooLarge());
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const onData = (c: Buffer): void => {
        size += c.length;
        if (size > max) {
          req.off('data', onData);
          req.pause();
          reject(tooLarge());
          return;
        }
        chunks.push(c);
      };
      req.on('data', onData);
      req.once('end', () => resolve(Buffer.concat(chunks, size)));
      req.once('error', reject);
    });
  }

  private internal(err: unknown): HttpProblem {
    this.deps.logger.error({ err }, 'HTTP API request failed');
    return new HttpProblem('internal-error', 'the request failed inside Petrel; see the operator log');
  }

  private send(
    res: ServerResponse,
    status: number,
    body: unknown,
    type: string,
    headers: Readonly<Record<string, string>> = {},
  ): void {
    const text = JSON.stringify(body);
    const c = this.deps.counters.byStatus;
    c.set(status, (c.get(status) ?? 0) + 1);
    if (res.headersSent) return;
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }
}
