/**
 * One outbound connection's life for a (binding, domain): take a job first (so an empty queue
 * costs no TCP connect), resolve the route, open a session with MX failover, then deliver job after
 * job over it, RSET between messages (RFC 5321 §4.1.1.5), idle up to idle_timeout for more work,
 * and QUIT (RFC 5321 §4.1.1.10).
 */
import {
  EHLO_FROM_SENDER,
  STAGE_NAMES,
  Stage,
  type Bus,
  type Clock,
  type ConnectionGate,
  type DeliveryJob,
  type DeliveryOptions,
  type Logger,
  type OutcomeStatus,
  type PetrelConfig,
  type RemoteEndpoint,
  type ReplyData,
  type RouteHost,
  type ThrottleRegistry,
  type TlsOutcome,
} from '@petrel/core';
import type { SmtpSession } from '@petrel/smtp-client';
import { sendInBatches } from './batches.js';
import { suppressedRecipients, verpSender } from './verp.js';
import { connectToRoute, type ConnectDeps } from './connect.js';
import type { HostFailures } from './host-failures.js';
import type { JobLedger } from './job-ledger.js';
import { InternalReplies, anyDelivered, transactionOutcomes, uniformOutcomes } from './outcomes.js';
import { resolveRoute, type HostsRoute } from './route.js';
import { bridgeSessionEvents } from './session-events.js';
import { takeConnectionToken } from './throttle-wait.js';
import type { TraceFiles } from './trace.js';
import { stripHeaders } from './strip-headers.js';
import type { OutboundPolicy } from './policy-hooks.js';
import type { MtaStsCa } from './tls-plan.js';
import type { ConnectionLimits, Lease } from './connection-limits.js';

/** Why a connection ended; the pool opens a replacement after 'recycle' and 'limit'. */
export type ConnectionEnd =
  | 'empty' // nothing to take: never connected
  | 'failed' // route failure or no host reachable: the queue was drained with that reply
  | 'idle' // idle_timeout passed with no new work
  | 'recycle' // the session became unusable; remaining work needs a fresh connection
  | 'limit' // max_deliveries_per_connection reached
  | 'stopped'; // the service is stopping

/** How long an idle connection waits, and what woke it. */
export type IdleWake = 'work' | 'timeout' | 'stop';

/** Jobs a failing route may drain in one go; the queue gets the rest on its next demand. */
export const DRAIN_LIMIT = 100_000;

/** What a connection needs from the service and its pool. */
export interface ConnectionEnv {
  readonly binding: string;
  readonly domain: string;
  readonly bus: Bus;
  readonly clock: Clock;
  /** The current config (a getter: `petrel config reload` swaps it). */
  readonly config: PetrelConfig;
  readonly logger: Logger;
  readonly ledger: JobLedger;
  readonly hostFailures: HostFailures;
  readonly isStopping: () => boolean;
  /** Resolves when new work is announced for the key, idle_timeout passes, or the service stops. */
  readonly idleWait: (ms: number) => Promise<IdleWake>;
  readonly open?: ConnectDeps['open'];
  /** Unique per process run; on every delivery.attempted of this connection. */
  readonly connectionId: string;
  /** The current throttle registry (a config reload replaces it). */
  readonly throttles: ThrottleRegistry;
  /** Resolves at the next config reload (wakes a throttle wait to re-read the rate). */
  readonly reloaded: () => Promise<void>;
  readonly traces: TraceFiles;
  /** Resolves when the service starts stopping (wakes a throttle wait). */
  readonly stopped: Promise<void>;
  /** This connection's policy snapshot (policy-hooks.ts). */
  readonly policy?: OutboundPolicy;
  /** Cluster connection limits (docs/scaling.md): a lease per connection, across nodes. */
  readonly connections?: ConnectionGate;
  /** The service's MTA-STS CA reader (tls-plan.ts). */
  readonly mtaStsCa?: MtaStsCa;
  /** Site, per-IP and shaping connection limits (connection-limits.ts). */
  readonly limits?: ConnectionLimits;
}

/** One open connection as `petrel domain` shows it (Momentum's per-connection SMTP state). */
export interface ConnectionInfo {
  readonly id: string;
  readonly binding: string;
  readonly domain: string;
  /** The host connected to; absent while the route is resolved or the connect is in progress. */
  readonly host?: string;
  readonly ip?: string;
  /** Momentum stage name ("while idle", "after RCPT TO", …) or "connecting". */
  readonly state: string;
  /** Transactions completed on this connection so far. */
  readonly deliveries: number;
}

export class DeliveryConnection {
  private session: SmtpSession | undefined;
  private host: RouteHost | undefined;
  private route: HostsRoute | undefined;
  /** How TLS was decided for this connection's session (or the policy failure that prevented one). */
  private tlsOutcome: TlsOutcome | undefined;
  private deliveries = 0;
  /** Connection-limit leases held (site, IP), given back at close. */
  private readonly leases: Lease[] = [];
  /** The route's MX rollup site, on every attempt for the shaping rules. */
  private site: string | undefined;

  constructor(private readonly env: ConnectionEnv) {}

  describe(): ConnectionInfo {
    const { env, host, session } = this;
    return {
      id: env.connectionId,
      binding: env.binding,
      domain: env.domain,
      ...(host ? { host: host.name, ip: host.address } : {}),
      state: session ? (STAGE_NAMES[session.stage] ?? `stage ${session.stage}`) : 'connecting',
      deliveries: this.deliveries,
    };
  }

  /** Runs the connection to its end; never rejects for delivery outcomes. */
  async run(): Promise<ConnectionEnd> {
    try {
      return await this.runInner();
    } finally {
      await this.close();
    }
  }

  /** Drops the socket now (stop() past its deadline). Jobs in flight are released by the ledger. */
  abort(): void {
    this.session?.destroy();
  }

  get connected(): boolean {
    return this.session !== undefined;
  }

  private async runInner(): Promise<ConnectionEnd> {
    const { env } = this;
    const first = await this.take();
    if (!first) return 'empty';
    const route = await resolveRoute(env.bus, env.binding, env.domain, env.logger);
    if (env.isStopping()) return this.releaseAndStop(first);
    if (route.kind === 'failure') {
      env.logger.debug(
        { binding: env.binding, domain: env.domain, reply: route.reply, permanent: route.permanent },
        'route failure; draining the queue',
      );
      await this.drain(first, route.permanent ? 'permanent' : 'transient', route.reply, Stage.NOT_CONNECTED);
      return 'failed';
    }
    const policy = env.config.delivery.policy(env.binding, env.domain);
    // outbound_throttle_connections: one token per connection opened, from the defining scope's bucket.
    if (
      !(await takeConnectionToken(
        env.throttles,
        env.clock,
        env.binding,
        env.domain,
        env.stopped,
        env.isStopping,
        env.reloaded,
      ))
    ) {
      return this.releaseAndStop(first);
    }
    // max_outbound_connections across the cluster: a lease before the connect, given back on close.
    if (env.connections) {
      const clusterKey = `conn:${env.binding}\u0000${env.domain}`;
      const lease = await env.connections.acquire(clusterKey, policy.max_outbound_connections, env.stopped);
      if (lease) this.leases.push(lease);
      if (!lease || env.isStopping()) return this.releaseAndStop(first);
    }
    this.reportDiscoveryFailure(route);
    // The site's connection budget (MX rollup) and shaping max_connections: wait for room.
    this.site = route.site;
    const key = { binding: env.binding, domain: env.domain, ...(route.site !== undefined ? { site: route.site } : {}) };
    const siteLease = await this.leaseOrWait(() => env.limits?.tryAcquire(key) ?? { release: () => undefined });
    if (siteLease === undefined) return this.releaseAndStop(first);
    this.leases.push(siteLease);
    // The same limits across the cluster: one lease per shared limit (site, max_connections states).
    if (env.connections && env.limits) {
      for (const d of env.limits.shared(key)) {
        const lease = await env.connections.acquire(d.key, d.limit, env.stopped);
        if (lease) this.leases.push(lease);
        if (!lease || env.isStopping()) return this.releaseAndStop(first);
      }
    }
    let c: Awaited<ReturnType<typeof connectToRoute>>;
    for (;;) {
      c = await this.connect(route, first, policy, key);
      if (c.kind !== 'busy') break;
      // Every host is at its per-IP limit: wait for a connection to close, then try again.
      if (!(await this.waitForRoom())) return this.releaseAndStop(first);
    }
    if (c.kind === 'connected' && c.lease) this.leases.push(c.lease);
    if (c.kind === 'connected') {
      // An EventEmitter 'error' with no listener would crash the process; the session reports
      // failures as results, so an error event is only logged.
      c.session.on('error', (err: unknown) => env.logger.debug({ err }, 'session error event'));
      this.session = c.session;
      this.host = c.host;
      this.route = route;
      this.tlsOutcome = c.tls;
    }
    if (env.isStopping() || c.kind === 'stopped') return this.releaseAndStop(first);
    if (c.kind === 'unreachable') {
      env.logger.debug(
        { binding: env.binding, domain: env.domain, reply: c.reply },
        'no host reachable; draining the queue',
      );
      if (c.tls) this.tlsOutcome = c.tls;
      await this.drain(first, 'transient', c.reply, c.stage, c.remote);
      return 'failed';
    }
    env.logger.debug(
      {
        binding: env.binding,
        domain: env.domain,
        host: c.host.name,
        ip: c.host.address,
        connectionId: env.connectionId,
      },
      'connected',
    );
    return this.deliverLoop(first, c.session, policy);
  }

  /** Opens a session on the route (MX failover), each host dialled under its per-IP lease. */
  private connect(
    route: HostsRoute,
    first: DeliveryJob,
    policy: DeliveryOptions,
    key: { readonly binding: string; readonly domain: string; readonly site?: string },
  ): ReturnType<typeof connectToRoute> {
    const { env } = this;
    const limits = env.limits;
    return connectToRoute(ehloFor(route, first, env.config.hostname), policy, {
      domain: env.domain,
      ...this.mtaStsCa(),
      onTls: (r) => env.bus.publish('tls.session', { ...r, at: env.clock.now(), domain: env.domain }),
      hostFailures: env.hostFailures,
      logger: env.logger,
      isStopping: env.isStopping,
      ...(env.open ? { open: env.open } : {}),
      transcript: (host) => env.traces.sink(policy.trace_file, env.connectionId, `${host.name} [${host.address}]`),
      listen: (host) => (session) =>
        bridgeSessionEvents(
          session,
          { binding: env.binding, domain: env.domain, host, connectionId: env.connectionId },
          env,
        ),
      ...(env.policy?.machine ? { machine: env.policy.machine } : {}),
      ...(limits ? { admit: (host: RouteHost) => limits.tryAcquire({ ...key, ip: host.address }) } : {}),
    });
  }

  /** Takes a lease, waiting for room while there is none; undefined when the service stops first. */
  private async leaseOrWait(take: () => Lease | undefined): Promise<Lease | undefined> {
    for (;;) {
      const lease = take();
      if (lease !== undefined) return lease;
      if (!(await this.waitForRoom())) return undefined;
    }
  }

  /** Waits for a connection to close or a limit to change; false when the service is stopping. */
  private async waitForRoom(): Promise<boolean> {
    const { env } = this;
    if (env.isStopping() || env.limits === undefined) return false;
    await Promise.race([env.limits.freed(), env.stopped]);
    return !env.isStopping();
  }

  private async deliverLoop(first: DeliveryJob, session: SmtpSession, policy: DeliveryOptions): Promise<ConnectionEnd> {
    const { env } = this;
    let job: DeliveryJob | null = first;
    for (;;) {
      if (!job) {
        const wake = await env.idleWait(policy.idle_timeout);
        if (wake !== 'work') return wake === 'stop' ? 'stopped' : 'idle';
        if (!session.usable) return 'recycle';
        job = await this.take();
        continue;
      }
      if (env.isStopping()) return this.releaseAndStop(job);
      await this.deliver(job, session);
      job = null;
      if (!session.usable) return 'recycle';
      if (policy.max_deliveries_per_connection > 0 && this.deliveries >= policy.max_deliveries_per_connection)
        return 'limit';
      if (env.isStopping()) return 'stopped';
      if (!(await session.reset())) return 'recycle';
      job = await this.take();
    }
  }

  private async deliver(job: DeliveryJob, session: SmtpSession): Promise<void> {
    const { env } = this;
    const startedAt = env.clock.now();
    let body: Buffer;
    try {
      body = await env.bus.request('spool.body', { id: job.messageId });
    } catch (err) {
      env.logger.error({ err, job: job.id }, 'spool.body failed');
      this.report(job, uniformOutcomes(job, 'transient', InternalReplies.bodyUnavailable, Stage.IDLE), startedAt);
      return;
    }
    // A job whose body arrived after stop() began was not yet sent: hand it back.
    if (env.isStopping()) {
      env.ledger.release(job);
      return;
    }
    // Suppressed since reception (a bounce or complaint came back meanwhile), or in this binding
    // group's list: failed here, never sent (docs/feedback-loop.md).
    const held = await suppressedRecipients(env.bus, job);
    const failedNow = held.length > 0 ? uniformOutcomes(job, 'permanent', InternalReplies.suppressed, Stage.IDLE) : [];
    const suppressedOutcomes = failedNow.filter((o) => held.includes(o.index));
    const sendJob =
      held.length > 0 ? { ...job, recipients: job.recipients.filter((r) => !held.includes(r.index)) } : job;
    if (sendJob.recipients.length === 0) {
      this.report(job, suppressedOutcomes, startedAt);
      return;
    }
    let toSend = stripHeaders(body, job.stripHeaders);
    let extra: { readonly mailParams?: readonly string[]; readonly rcptParams?: readonly string[] } | undefined;
    const hook = env.policy?.beforeDelivery;
    if (hook) {
      // Policy beforeDelivery: a failed hook defers the attempt, nothing is sent.
      const added = await hook(job, toSend).catch((): { defer: ReplyData } => ({
        defer: InternalReplies.policyFailed,
      }));
      if ('defer' in added) {
        this.report(job, uniformOutcomes(job, 'transient', added.defer, Stage.IDLE), startedAt);
        return;
      }
      if (added.prepend) toSend = Buffer.concat([added.prepend, toSend]);
      extra = added;
    }
    let outcomes: ReturnType<typeof uniformOutcomes>;
    try {
      const policy = env.config.delivery.policy(env.binding, env.domain);
      const returnPath = verpSender(env.config, policy.verp_domain, job);
      outcomes = transactionOutcomes(
        sendJob,
        await sendInBatches(session, sendJob, toSend, policy.max_recipients_per_batch, {
          ...extra,
          ...(returnPath ? { returnPath } : {}),
        }),
      );
    } catch (err) {
      // send() settles protocol outcomes itself; a throw is a broken socket or a client bug.
      env.logger.warn({ err, job: job.id }, 'transaction failed unexpectedly');
      outcomes = uniformOutcomes(job, 'transient', InternalReplies.connectionClosed, Stage.UNKNOWN);
    }
    if (anyDelivered(outcomes)) this.deliveries++;
    this.report(job, [...outcomes, ...suppressedOutcomes], startedAt);
  }

  /** `refusedBy`: the host that refused a session, when there is none (RFC 3464 §2.3.6 Remote-MTA). */
  private report(
    job: DeliveryJob,
    outcomes: ReturnType<typeof uniformOutcomes>,
    startedAt: number,
    refusedBy?: RemoteEndpoint,
  ): void {
    const { session, host, route } = this;
    const tls = session?.tls;
    const remote =
      session && host && route
        ? { host: host.name, ip: session.remoteAddress || host.address, port: session.remotePort || route.port }
        : refusedBy;
    this.env.ledger.attempted({
      job,
      outcomes,
      ...(remote ? { remote } : {}),
      ...(route?.bindAddress !== undefined ? { sourceAddress: route.bindAddress } : {}),
      startedAt,
      finishedAt: this.env.clock.now(),
      ...(tls ? { tls: { protocol: tls.protocol, cipher: tls.cipher } } : {}),
      ...(this.tlsOutcome ? { tlsPolicy: this.tlsOutcome } : {}),
      ...(session ? { remoteDsn: session.capabilities.has('DSN') } : {}),
      connectionId: this.env.connectionId,
      ...(this.site !== undefined ? { site: this.site } : {}),
    });
  }

  /** The MTA-STS CA list for connectToRoute, when the config names a CA file. */
  private mtaStsCa(): { mtaStsCa?: readonly string[] } {
    const ca = this.env.mtaStsCa?.get(this.env.config.tlsPolicy?.mta_sts_ca_file);
    return ca ? { mtaStsCa: ca } : {};
  }

  /**
   * RFC 8460: a failed MTA-STS discovery (fetch error, invalid policy) is a failure of the domain's
   * policy, reported once per connection (each is a session the policy should have covered).
   */
  private reportDiscoveryFailure(route: HostsRoute): void {
    const f = route.mtaStsFailure;
    if (!f) return;
    const { env } = this;
    env.bus.publish('tls.session', {
      at: env.clock.now(),
      domain: env.domain,
      outcome: { policy: 'mta-sts', result: 'failure', failure: f.type },
      ...(route.mtaSts ? { policyString: route.mtaSts.lines } : {}),
      detail: f.detail,
    });
  }

  /** Reports `first` and every job left in the active queue with the same reply (bounded). */
  private async drain(
    first: DeliveryJob,
    status: OutcomeStatus,
    reply: ReplyData,
    stage: number,
    remote?: RemoteEndpoint,
  ): Promise<void> {
    const { env } = this;
    const at = env.clock.now();
    this.report(first, uniformOutcomes(first, status, reply, stage), at, remote);
    for (let n = 1; n < DRAIN_LIMIT; n++) {
      if (env.isStopping()) return;
      const job = await this.take();
      if (!job) return;
      if (env.isStopping()) {
        env.ledger.release(job);
        return;
      }
      this.report(job, uniformOutcomes(job, status, reply, stage), env.clock.now(), remote);
    }
  }

  private async take(): Promise<DeliveryJob | null> {
    const { env } = this;
    if (env.isStopping()) return null;
    let job: DeliveryJob | null;
    try {
      job = await env.bus.request('queue.take', { binding: env.binding, domain: env.domain });
    } catch (err) {
      env.logger.error({ err, binding: env.binding, domain: env.domain }, 'queue.take failed');
      return null;
    }
    if (job) env.ledger.hold(job, this);
    return job;
  }

  private releaseAndStop(job: DeliveryJob): ConnectionEnd {
    this.env.ledger.release(job);
    return 'stopped';
  }

  private async close(): Promise<void> {
    // Anything this connection still holds (an unexpected throw) goes back to the queue.
    this.env.ledger.releaseOwner(this);
    try {
      await this.quit();
    } finally {
      // The site, IP and cluster leases go back only once the socket is closed: the limit is on open connections.
      for (const l of this.leases.splice(0)) l.release();
    }
  }

  private async quit(): Promise<void> {
    const { session } = this;
    try {
      if (!session) return;
      if (session.usable) await session.quit();
      else session.destroy();
    } catch (err) {
      this.env.logger.debug({ err }, 'quit failed');
      session?.destroy();
    }
  }
}

/**
 * The route with EHLO_FROM_SENDER replaced by the first message's sender domain. The hostname
 * stands in for <> and for a domain EHLO cannot carry: EHLO comes before any extension, so it
 * takes an ASCII domain or an address literal (RFC 5321 §4.1.1.1), never a UTF-8 one.
 */
export function ehloFor(route: HostsRoute, first: DeliveryJob, hostname: string): HostsRoute {
  if (route.ehloName !== EHLO_FROM_SENDER) return route;
  const domain = first.sender.slice(first.sender.lastIndexOf('@') + 1);
  const usable =
    first.sender.includes('@') &&
    (/^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(domain) || /^\[[^\]]+\]$/.test(domain));
  return { ...route, ehloName: usable ? domain : hostname };
}
