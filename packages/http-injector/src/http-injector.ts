/**
 * The HTTP injection service (docs/http-api.md): listens on `[http] listen` (HTTPS with
 * tls_certificate/tls_key), answers POST /v1/inject and GET /v1/openapi.json, and counts for
 * /metrics through `http.stats`. Off when `listen` is empty. Talks to the rest of Petrel only over
 * the bus (`spool.store`, `spool.records`), exactly as the SMTP listener does.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { PetrelError, parseHostPort, type Logger, type Service, type ServiceContext } from '@petrel/core';
import { Handler, type HandlerCounters } from './handler.js';
import { IDEMPOTENCY_PREFIX, type ReceptionHook } from './inject.js';
import { TokenDb } from './tokens.js';

export interface HttpInjectorOptions {
  /** Runs on each composed message before it is stored (DKIM signing plugs in here, as in the listener). */
  readonly reception?: ReceptionHook;
  /** How long in-flight requests may take at stop before their connections are dropped. Default 10 s. */
  readonly stopDeadlineMs?: number;
}

/** Expired Idempotency-Key rows are deleted this often. */
const PRUNE_INTERVAL_MS = 3_600_000;

export class HttpInjector implements Service {
  readonly name = 'http';
  private readonly logger: Logger;
  private server: Server | undefined;
  private tokens: TokenDb | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly teardown: (() => void)[] = [];
  private readonly counters: HandlerCounters = { requests: 0, injected: 0, replayed: 0, byStatus: new Map() };
  private pruneTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly options: HttpInjectorOptions = {},
  ) {
    this.logger = ctx.logger;
  }

  async start(): Promise<void> {
    const cfg = this.ctx.config.http;
    if (cfg.listen === '') return;
    this.tokens = this.loadTokens();
    const handler = new Handler({
      bus: this.ctx.bus,
      clock: this.ctx.clock,
      config: () => this.ctx.config,
      logger: this.logger,
      tokens: () => this.tokens!,
      counters: this.counters,
      ...(this.options.reception ? { reception: this.options.reception } : {}),
    });
    const onRequest = (req: Parameters<Handler['handle']>[0], res: Parameters<Handler['handle']>[1]): void => {
      void handler.handle(req, res);
    };
    const server =
      cfg.tls_certificate && cfg.tls_key ? createTlsServer(this.tlsOptions(), onRequest) : createServer(onRequest);
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    const hp = parseHostPort(cfg.listen)!;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) =>
        reject(
          new PetrelError('PETREL_ERR_LISTEN', `cannot listen on ${cfg.listen} (http.listen): ${err.message}`, {
            address: cfg.listen,
          }),
        ),
      );
      server.listen(hp.port, hp.host, () => resolve());
    });
    this.server = server;
    this.teardown.push(this.ctx.bus.handle('http.stats', () => this.stats()));
    this.pruneTimer = setInterval(() => this.prune(), PRUNE_INTERVAL_MS);
    this.pruneTimer.unref();
    this.prune();
    this.logger.info({ address: this.addresses(), clients: this.tokens.size }, 'HTTP injection API listening');
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    // Requests in flight finish (their 201 waits for the spool) unless they outlast the deadline.
    const deadline = setTimeout(() => {
      for (const s of this.sockets) s.destroy();
    }, this.options.stopDeadlineMs ?? 10_000);
    await closed;
    clearTimeout(deadline);
    for (const off of this.teardown.splice(0)) off();
  }

  /** The bound addresses ("host:port"), for tests and the start log. */
  addresses(): string[] {
    const a = this.server?.address() as AddressInfo | null | undefined;
    return a ? [`${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`] : [];
  }

  /** Re-reads the tokens file (SIGHUP); a bad file keeps the old tokens and is logged. */
  reloadTokens(): void {
    if (!this.server) return;
    try {
      this.tokens = this.loadTokens();
      this.logger.info({ clients: this.tokens.size }, 'HTTP API tokens reloaded');
    } catch (err) {
      this.logger.error({ err }, 'HTTP API tokens file not reloaded; the old tokens stay in use');
    }
  }

  private stats(): Record<string, number | readonly Record<string, string | number>[]> {
    return {
      requests: this.counters.requests,
      injected: this.counters.injected,
      replayed: this.counters.replayed,
      responses: [...this.counters.byStatus].map(([status, count]) => ({ status: String(status), count })),
    };
  }

  private loadTokens(): TokenDb {
    const file = this.ctx.config.http.tokens_file!;
    return TokenDb.load(file, new Set(this.ctx.config.scopes.groups.keys()));
  }

  private tlsOptions(): { cert: Buffer; key: Buffer } {
    const { tls_certificate: certFile, tls_key: keyFile } = this.ctx.config.http;
    try {
      return { cert: readFileSync(certFile!), key: readFileSync(keyFile!) };
    } catch (err) {
      throw new PetrelError(
        'PETREL_ERR_HTTP_TLS',
        `cannot read http.tls_certificate or http.tls_key: ${(err as Error).message}`,
        { certFile, keyFile },
        { cause: err },
      );
    }
  }

  private prune(): void {
    const before = this.ctx.clock.now() - this.ctx.config.http.idempotency_ttl;
    this.ctx.bus.request('spool.prune_records', { prefix: IDEMPOTENCY_PREFIX, before }).then(
      ({ deleted }) => {
        if (deleted > 0) this.logger.debug({ deleted }, 'expired Idempotency-Key records deleted');
      },
      (err: unknown) => this.logger.warn({ err }, 'expired Idempotency-Key records not deleted'),
    );
  }
}
