/**
 * The listener service: binds the configured addresses, runs one Session per connection,
 * enforces max_connections and stops gracefully.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import {
  PetrelError,
  parseHostPort,
  type HostPort,
  type Logger,
  type Service,
  type ServiceContext,
  type TimerHandle,
} from '@petrel/core';
import { AuthFailureLimiter } from './auth.js';
import { BUILTIN_VERBS } from './commands.js';
import { ExtensionRegistry, type SmtpExtension } from './extensions.js';
import { UserDb } from './passwords.js';
import { replyFor, REPLIES } from './replies.js';
import { Session, type MutableStats, type SessionHost } from './session.js';
import { settingsFrom, type SessionSettings } from './settings.js';
import { loadSecureContext } from './tls-context.js';
import type { InboundPolicySource } from './policy-hooks.js';
import type { MessageSignerSource } from './signing-hook.js';

/** Counters of the listener since start. */
export interface ListenerStats {
  readonly connectionsOpen: number;
  readonly connectionsAccepted: number;
  /** Connections refused with 421 at max_connections. */
  readonly connectionsRefused: number;
  readonly messagesAccepted: number;
  /** Refused commands and messages (each one also published as `message.rejected`). */
  readonly rejections: number;
}

export interface ListenerOptions {
  /** How long stop() lets a DATA in flight finish before dropping it. Default 30 s. */
  readonly stopDeadlineMs?: number;
  /** Policy hook points, asked once per connection (policy-hooks.ts). */
  readonly policy?: InboundPolicySource;
  /** The signing hook point (DKIM), asked once per message before the spool commit (signing-hook.ts). */
  readonly signer?: MessageSignerSource;
}

type Phase = 'new' | 'running' | 'stopping' | 'stopped';

export class Listener implements Service {
  readonly name = 'listener';
  private readonly logger: Logger;
  private readonly extensions = new ExtensionRegistry([...BUILTIN_VERBS.keys()]);
  private readonly servers: Server[] = [];
  private readonly sessions = new Set<Session>();
  /** Open sessions per client address, for max_connections_per_ip. */
  private readonly perIp = new Map<string, number>();
  private secureContext: SecureContext | undefined;
  private users: UserDb | undefined;
  private readonly counters: MutableStats = {
    connectionsOpen: 0,
    connectionsAccepted: 0,
    connectionsRefused: 0,
    messagesAccepted: 0,
    rejections: 0,
  };
  private host: SessionHost | undefined;
  private phase: Phase = 'new';
  private seq = 0;
  private readonly idPrefix = Date.now().toString(36).toUpperCase();

  constructor(
    private readonly ctx: ServiceContext,
    private readonly options: ListenerOptions = {},
  ) {
    this.logger = ctx.logger;
  }

  /** Adds an ESMTP verb (and EHLO keyword); call before start(). */
  registerExtension(ext: SmtpExtension): void {
    if (this.phase !== 'new')
      throw new PetrelError('PETREL_ERR_SERVICE_STATE', 'registerExtension() must be called before start()');
    this.extensions.register(ext);
  }

  private offStats: (() => void) | undefined;

  async start(): Promise<void> {
    if (this.phase !== 'new')
      throw new PetrelError('PETREL_ERR_SERVICE_STATE', `listener cannot start from "${this.phase}"`);
    const settings = settingsFrom(this.ctx.config);
    // A bad certificate or users file is fatal at start (it is only logged on reload).
    if (settings.tlsFiles) this.secureContext = loadSecureContext(settings.tlsFiles);
    if (settings.authUsersFile !== undefined) this.users = UserDb.load(settings.authUsersFile);
    this.host = {
      settings,
      bus: this.ctx.bus,
      logger: this.logger,
      clock: this.ctx.clock,
      extensions: this.extensions,
      stats: this.counters,
      tlsContext: () => this.secureContext,
      users: () => this.users,
      authLimiter: new AuthFailureLimiter(settings.authMaxFailures, settings.authFailureWindow),
      ...(this.options.policy ? { policy: this.options.policy } : {}),
      ...(this.options.signer ? { signer: this.options.signer } : {}),
    };
    this.phase = 'running';
    // Counters for the control API (`petrel summary`: Inbound Concurrency; /metrics).
    this.offStats = this.ctx.bus.handle('listener.stats', () => {
      const s = this.stats();
      return { ...s, connections: s.connectionsOpen };
    });
    try {
      for (const text of this.ctx.config.listener.listen) await this.bind(text);
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.logger.info({ addresses: this.addresses() }, 'listener started');
  }

  /**
   * Re-reads the STARTTLS certificate and key (SIGHUP, e.g. after renewal). New handshakes use
   * the new pair; on error the old one stays and the error is logged. Returns whether it loaded.
   */
  reloadTls(): boolean {
    const files = this.host?.settings.tlsFiles;
    if (!files) return false;
    try {
      this.secureContext = loadSecureContext(files);
      this.logger.info({ certificate: files.certificate }, 'listener TLS certificate reloaded');
      return true;
    } catch (err) {
      this.logger.error({ err }, 'listener TLS reload failed; keeping the previous certificate');
      return false;
    }
  }

  /** Re-reads auth_users_file (SIGHUP); on error the old users stay and the error is logged. */
  reloadUsers(): boolean {
    const file = this.host?.settings.authUsersFile;
    if (file === undefined) return false;
    try {
      this.users = UserDb.load(file);
      this.logger.info({ file, users: this.users.size }, 'listener AUTH users reloaded');
      return true;
    } catch (err) {
      this.logger.error({ err }, 'listener AUTH users reload failed; keeping the previous users');
      return false;
    }
  }

  /** Stops accepting, answers 421 to idle sessions, lets DATA in flight finish (bounded), closes. */
  async stop(): Promise<void> {
    if (this.phase === 'stopped' || this.phase === 'stopping') return;
    this.phase = 'stopping';
    this.offStats?.();
    const closing = this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    for (const s of this.sessions) s.shutdown();
    const deadline = this.options.stopDeadlineMs ?? 30_000;
    const all = Promise.all([...this.sessions].map((s) => s.closed));
    let timer: TimerHandle | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = this.ctx.clock.setTimer(deadline, () => resolve('late'));
    });
    if ((await Promise.race([all, late])) === 'late') {
      this.logger.warn({ sessions: this.sessions.size }, 'listener stop deadline passed; dropping connections');
      for (const s of this.sessions) s.destroy();
      await all;
    }
    this.ctx.clock.clearTimer(timer);
    await Promise.all(closing);
    this.servers.length = 0;
    this.phase = 'stopped';
    this.logger.info('listener stopped');
  }

  /** The bound addresses with their actual ports (port 0 in config = chosen by the kernel). */
  addresses(): HostPort[] {
    const out: HostPort[] = [];
    for (const s of this.servers) {
      const a = s.address() as AddressInfo | null;
      if (a) out.push({ host: a.address, port: a.port });
    }
    return out;
  }

  stats(): ListenerStats {
    return { ...this.counters, connectionsOpen: this.sessions.size };
  }

  private bind(text: string): Promise<void> {
    const hp = parseHostPort(text, 25);
    if (!hp)
      return Promise.reject(
        new PetrelError('PETREL_ERR_LISTEN', `listener: not an address: "${text}"`, { listen: text }),
      );
    // A client's FIN ends its input, not our replies (Session: pipelined QUIT, then shutdown).
    const server = createServer({ allowHalfOpen: true }, (socket) => this.accept(socket));
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => {
        reject(
          new PetrelError(
            'PETREL_ERR_LISTEN',
            `listener cannot bind ${text}: ${err.message}`,
            { listen: text },
            { cause: err },
          ),
        );
      };
      server.once('error', onError);
      server.listen(hp.port, hp.host, () => {
        server.off('error', onError);
        server.on('error', (err) => this.logger.error({ err, listen: text }, 'listener socket error'));
        this.servers.push(server);
        resolve();
      });
    });
  }

  private accept(socket: Socket): void {
    const host = this.host;
    if (!host || this.phase !== 'running') {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    const session = new Session(socket, host, `${this.idPrefix}-${(++this.seq).toString(36)}`);
    const ip = session.client.address;
    const refusal = this.limitReply(host.settings, ip);
    if (refusal) {
      this.counters.connectionsRefused++;
    } else {
      this.counters.connectionsAccepted++;
      this.sessions.add(session);
      this.perIp.set(ip, (this.perIp.get(ip) ?? 0) + 1);
      void session.closed.then(() => {
        this.sessions.delete(session);
        const n = (this.perIp.get(ip) ?? 1) - 1;
        if (n > 0) this.perIp.set(ip, n);
        else this.perIp.delete(ip);
      });
    }
    session.open(refusal);
  }

  /** 421 4.7.0 at max_connections or max_connections_per_ip, else undefined. */
  private limitReply(settings: SessionSettings, ip: string) {
    if (this.sessions.size >= settings.maxConnections) return REPLIES.tooManyConnections;
    if ((this.perIp.get(ip) ?? 0) >= settings.maxConnectionsPerIp) return replyFor.tooManyFromIp(ip);
    return undefined;
  }
}
