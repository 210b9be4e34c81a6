/**
 * The control API (ARCHITECTURE.md "control"): HTTP/JSON on a Unix socket in the spool directory,
 * mode 0600, so only the owner of the MTA can manage it; optionally on a loopback TCP address with a
 * bearer token. `/metrics` serves Prometheus text on both.
 */
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { PetrelError, parseHostPort, worldReadableWarning, type Service, type ServiceContext } from '@petrel/core';
import { Counters } from './counters.js';
import { HttpError, readJson, sendError, sendJson } from './http-util.js';
import { Metrics } from './metrics.js';
import { matchRoute, type ControlActions } from './routes.js';
import { inspectControlSocket, liveSocketError } from './socket-path.js';

export class ControlService implements Service {
  readonly name = 'control';
  private readonly servers: Server[] = [];
  private readonly undo: (() => void)[] = [];
  private readonly counters: Counters;
  private readonly metrics: Metrics;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly actions: ControlActions,
  ) {
    this.counters = new Counters(ctx.clock);
    const bus = ctx.bus;
    this.metrics = new Metrics(
      bus,
      {
        queueCounts: () => bus.request('queue.counts', {}),
        spoolStats: () => bus.request('spool.stats', {}),
        listenerStats: () => bus.request('listener.stats', {}),
        outboundStats: () => bus.request('outbound.stats', {}),
      },
      this.undo,
    );
  }

  /** The Unix socket path. */
  get socketPath(): string {
    return this.ctx.config.control.socket;
  }

  async start(): Promise<void> {
    const { token } = this.ctx.config.control;
    // An empty token is no token (the schema default): there is no secret to protect.
    const warning = token !== '' ? worldReadableWarning(this.ctx.config.source, 'the [control] token') : undefined;
    if (warning) this.ctx.logger.warn({ file: this.ctx.config.source }, warning);
    this.undo.push(...this.counters.subscribe(this.ctx.bus));
    const sock = this.socketPath;
    // A socket left by a killed daemon would make listen() fail with EADDRINUSE: replace only that.
    const state = await inspectControlSocket(sock);
    if (state === 'live') throw liveSocketError(sock);
    if (state === 'stale') unlinkSync(sock);
    const unix = createServer((req, res) => void this.serve(req, res, false));
    await listen(unix, { path: sock });
    chmodSync(sock, 0o600);
    this.servers.push(unix);
    const { listen: tcp } = this.ctx.config.control;
    if (tcp) {
      const hp = parseHostPort(tcp)!;
      const server = createServer((req, res) => void this.serve(req, res, true));
      await listen(server, { host: hp.host, port: hp.port });
      this.servers.push(server);
    }
    this.ctx.logger.info({ socket: sock, tcp: tcp || undefined }, 'control API listening');
  }

  async stop(): Promise<void> {
    for (const off of this.undo.splice(0)) off();
    await Promise.all(
      this.servers.splice(0).map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
          }),
      ),
    );
    if (existsSync(this.socketPath)) unlinkSync(this.socketPath);
  }

  private authorised(req: IncomingMessage): boolean {
    const want = Buffer.from(`Bearer ${this.ctx.config.control.token}`);
    const got = Buffer.from(req.headers.authorization ?? '');
    return got.length === want.length && timingSafeEqual(got, want);
  }

  private async serve(req: IncomingMessage, res: ServerResponse, tcp: boolean): Promise<void> {
    try {
      if (tcp && !this.authorised(req)) throw new HttpError(401, 'UNAUTHORIZED', 'missing or wrong bearer token');
      const url = new URL(req.url ?? '/', 'http://petrel');
      if (req.method === 'GET' && url.pathname === '/metrics') {
        const text = await this.metrics.registry.metrics();
        res.writeHead(200, { 'content-type': this.metrics.registry.contentType });
        res.end(text);
        return;
      }
      const m = matchRoute(req.method ?? 'GET', url.pathname);
      if (!m) throw new HttpError(404, 'NO_ROUTE', `no route ${req.method} ${url.pathname}`);
      const input = req.method === 'GET' ? Object.fromEntries(url.searchParams) : await readJson(req);
      const out = await m.route.handle(
        {
          bus: this.ctx.bus,
          config: this.ctx.config,
          counters: this.counters,
          actions: this.actions,
          configFile: this.ctx.config.source,
        },
        input,
        m.params,
      );
      sendJson(res, 200, out ?? {});
    } catch (err) {
      if (!(err instanceof HttpError)) this.ctx.logger.warn({ err, url: req.url }, 'control request failed');
      sendError(res, err);
    }
  }
}

function listen(server: Server, opts: { path: string } | { host: string; port: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void =>
      reject(
        new PetrelError(
          'PETREL_ERR_LISTEN',
          `control API cannot listen on ${'path' in opts ? opts.path : `${opts.host}:${opts.port}`}: ${e.message}`,
          {},
          { cause: e },
        ),
      );
    server.once('error', onError);
    server.listen(opts, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
