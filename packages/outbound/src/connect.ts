/**
 * Opening a session for a route: MX failover in route order (RFC 5321 §5.1: try the next MX when
 * one cannot be reached or refuses at greeting), honouring host_failure_retry marks.
 */
import {
  SmtpReply,
  Stage,
  type DeliveryOptions,
  type Logger,
  type RemoteEndpoint,
  type ReplyData,
  type RouteHost,
  type TlsOutcome,
  type TlsSessionReport,
} from '@petrel/core';
import {
  SmtpSession,
  SmtpSessionError,
  createSessionTimeouts,
  type SessionOptions,
  type StateMachine,
} from '@petrel/smtp-client';
import type { HostFailures } from './host-failures.js';
import { InternalReplies, boundedReply, noMxReachableAfter, sentByHost, tlsCause, withCause } from './outcomes.js';
import type { HostsRoute } from './route.js';
import { failureOf, openedOutcome, planTls, type TlsPlan } from './tls-plan.js';
import type { Lease } from './connection-limits.js';

export type ConnectResult =
  | {
      readonly kind: 'connected';
      readonly session: SmtpSession;
      readonly host: RouteHost;
      /** How TLS was decided for the session and how it went. */
      readonly tls: TlsOutcome;
      /** The per-IP connection lease held for this session (connection-limits.ts). */
      readonly lease?: Lease;
    }
  /** Every host was at its connection limit per IP (connection-limits.ts): nothing was tried. */
  | { readonly kind: 'busy' }
  /**
   * No host accepted a session; every job of the queue gets `reply`, transient, at `stage`. `remote`
   * is the host whose reply (or TLS failure) that is, when one answered (RFC 3464 §2.3.6).
   */
  | {
      readonly kind: 'unreachable';
      readonly reply: ReplyData;
      readonly stage: number;
      readonly remote?: RemoteEndpoint;
      /** The TLS policy failure behind the reply, when a policy refused the hosts. */
      readonly tls?: TlsOutcome;
    }
  /** Asked to stop while connecting: nothing was reported, the caller releases what it holds. */
  | { readonly kind: 'stopped' };

export interface ConnectDeps {
  readonly hostFailures: HostFailures;
  readonly logger: Logger;
  readonly isStopping: () => boolean;
  /**
   * The session factory; SmtpSession.open unless a caller wraps it (e.g. to count connects). A
   * wrapper passes `listen` on, or the events of the session phase go unseen.
   */
  readonly open?: (opts: SessionOptions, listen?: (session: SmtpSession) => void) => Promise<SmtpSession>;
  /** The trace_file transcript sink for a host, when tracing is on for this (binding, domain). */
  readonly transcript?: (host: RouteHost) => ((direction: 'c' | 's', line: string) => void) | undefined;
  /** Attaches event listeners to a host's session before it connects (the libESMTP event bridge). */
  readonly listen?: (host: RouteHost) => (session: SmtpSession) => void;
  /** The client state machine (policy clientStates); default the shared one. */
  readonly machine?: StateMachine;
  /** The recipient domain (MTA-STS / DANE reference identity, TLS reports). */
  readonly domain?: string;
  /** Trusted CAs for MX certificates under MTA-STS (roots + [tls_policy] mta_sts_ca_file); default Node's. */
  readonly mtaStsCa?: readonly string[];
  /** Told every host session decided under a TLS policy (TLS-RPT counts sessions, RFC 8460 §4). */
  readonly onTls?: (report: Omit<TlsSessionReport, 'at' | 'domain'>) => void;
  /** A lease per host before it is dialled (max_connections_per_ip); undefined = at its limit, skip it. */
  readonly admit?: (host: RouteHost) => Lease | undefined;
}

/** SessionOptions for one host of a route under the (binding, domain) policy. */
export function sessionOptions(
  route: HostsRoute,
  host: RouteHost,
  policy: DeliveryOptions,
  logger: Logger,
  traceFile?: (direction: 'c' | 's', line: string) => void,
  plan?: TlsPlan,
): SessionOptions {
  const opts: SessionOptions = {
    host: host.address,
    port: host.port ?? route.port,
    hostname: host.name,
    ehloName: route.ehloName,
    timeouts: createSessionTimeouts(policy),
    tls: policy.tls,
    tlsVerify: policy.tls_verify,
    tlsFallback: policy.tls_ifavailable_fallback,
    pipelining: true,
    chunking: policy.use_chunking,
    transform8bit: policy.transform_8bitmime_content,
    ...plan?.options,
  };
  if (route.bindAddress !== undefined) opts.localAddress = route.bindAddress;
  // RFC 4954 AUTH to a smart host with the route's credentials (only over TLS: the client refuses plaintext).
  if (route.auth) opts.auth = { user: route.auth.user, pass: route.auth.pass };
  // Building a log line per SMTP line is not free: only wire the transcript when someone reads it.
  const toLog = logger.isLevelEnabled('trace')
    ? (direction: 'c' | 's', line: string): void => logger.trace({ host: host.address, direction, line }, 'smtp')
    : undefined;
  if (toLog && traceFile) {
    opts.onTranscript = (d, l) => {
      toLog(d, l);
      traceFile(d, l);
    };
  } else if (toLog ?? traceFile) opts.onTranscript = (toLog ?? traceFile)!;
  return opts;
}

/**
 * A failure of the TLS policy (RFC 3207 under tls = "required"): STARTTLS not advertised or
 * refused (stage 15), or a handshake or certificate check that failed (stage 17). A 421 there is
 * the server going away, not a TLS verdict.
 */
function isTlsFailure(err: SmtpSessionError): boolean {
  return (err.stage === Stage.DURING_STARTTLS || err.stage === Stage.HANDSHAKING_TLS) && err.reply.code !== 421;
}

export async function connectToRoute(
  route: HostsRoute,
  policy: DeliveryOptions,
  deps: ConnectDeps,
): Promise<ConnectResult> {
  const open =
    deps.open ?? ((o: SessionOptions, listen?: (session: SmtpSession) => void) => SmtpSession.open(o, listen));
  const endpoint = (host: RouteHost): RemoteEndpoint => ({
    host: host.name,
    ip: host.address,
    port: host.port ?? route.port,
  });
  let last: { readonly reply: ReplyData; readonly host: RouteHost } | undefined;
  /** The last TLS-policy failure: it says why better than "no MXs … reached" (Momentum logs the 4.7.x). */
  let tlsFailure: { readonly err: SmtpSessionError; readonly host: RouteHost } | undefined;
  /** The last host that answered with words of its own (a refusal, garbage): what it sent is kept. */
  let answered: { readonly err: SmtpSessionError; readonly host: RouteHost } | undefined;
  /** The last host a TLS policy refused before connecting, and why (RFC 8461 §4.1, RFC 7672 §2.2). */
  let skipped: { readonly plan: TlsPlan; readonly host: RouteHost } | undefined;
  let tried = 0;
  let full = 0;
  let tlsOutcome: TlsOutcome | undefined;
  const tell = (plan: TlsPlan, host: RouteHost, outcome: TlsOutcome, detail?: string): void => {
    // TLS-RPT counters are kept for domains that publish a policy (or tried to: a failed MTA-STS
    // discovery), not for every destination: a bulk sender reaches far more domains than care.
    const reported = plan.policy === 'mta-sts' || plan.policy === 'dane' || route.mtaStsFailure !== undefined;
    if (!reported) return;
    deps.onTls?.({
      outcome,
      mxHost: host.name,
      receivingIp: host.address,
      ...(plan.policyString ? { policyString: plan.policyString } : {}),
      ...(detail !== undefined ? { detail } : {}),
    });
  };
  for (const host of deps.hostFailures.candidates(route.hosts)) {
    if (deps.isStopping()) return { kind: 'stopped' };
    const plan = planTls(route, host, deps.domain ?? host.name, policy, deps.mtaStsCa);
    if (plan.skip) {
      const outcome = policyFailure(plan, plan.skip.failure);
      tell(plan, host, outcome, plan.skip.detail);
      tlsOutcome = outcome;
      skipped = { plan, host };
      deps.logger.info({ host: host.name, ip: host.address, ...plan.skip }, 'host not used under the TLS policy');
      continue;
    }
    const lease = deps.admit?.(host);
    if (deps.admit && lease === undefined) {
      full++;
      continue;
    }
    tried++;
    try {
      const opts = sessionOptions(route, host, policy, deps.logger, deps.transcript?.(host), plan);
      if (deps.machine) opts.machine = deps.machine;
      const session = await open(opts, deps.listen?.(host));
      deps.hostFailures.clear(host.address);
      const tls = openedOutcome(plan, session.tls, session.tlsVerdict);
      const v = session.tlsVerdict;
      tell(plan, host, tls, v && !v.ok ? v.detail : plan.observed?.detail);
      return { kind: 'connected', session, host, tls, ...(lease ? { lease } : {}) };
    } catch (err) {
      lease?.release();
      if (err instanceof SmtpSessionError && isTlsFailure(err) && plan.policy !== 'none') {
        const outcome = policyFailure(plan, failureOf(err));
        tell(plan, host, outcome, err.cause instanceof Error ? err.cause.message : undefined);
        tlsOutcome = outcome;
      }
      if (err instanceof SmtpSessionError && !err.tryNextHost) {
        // A refusal the next MX would repeat (e.g. TLS required and verification failed): defer
        // the queue with the real reply rather than hammer every host.
        const reply = withCause(boundedReply(err.reply), isTlsFailure(err) ? tlsCause(err.cause) : undefined);
        deps.logger.info(
          { host: host.name, ip: host.address, reply, stage: err.stage },
          'session refused; not trying further hosts',
        );
        return {
          kind: 'unreachable',
          reply,
          stage: err.stage,
          remote: endpoint(host),
          ...(tlsOutcome ? { tls: tlsOutcome } : {}),
        };
      }
      last = { reply: err instanceof SmtpSessionError ? err.reply : InternalReplies.connectionClosed, host };
      if (err instanceof SmtpSessionError && isTlsFailure(err)) tlsFailure = { err, host };
      else if (err instanceof SmtpSessionError && sentByHost(err.reply)) answered = { err, host };
      if (!(err instanceof SmtpSessionError))
        deps.logger.warn({ err, host: host.name, ip: host.address }, 'unexpected error opening a session');
      else
        deps.logger.debug(
          { host: host.name, ip: host.address, reply: err.reply, stage: err.stage },
          'host failed; trying the next',
        );
      deps.hostFailures.mark(host.address);
    }
  }
  if (deps.isStopping()) return { kind: 'stopped' };
  if (tried === 0 && full > 0) return { kind: 'busy' };
  // A host that refused on TLS policy (451 4.7.5 / 4.7.6) gets that reply, its cause (e.g. the
  // certificate was not trusted), its stage and its address, so the event log and the bounce class
  // say why. A single smart host's own reply says more than "no MXs".
  if (tlsFailure) {
    const { err, host } = tlsFailure;
    return {
      kind: 'unreachable',
      reply: withCause(err.reply, tlsCause(err.cause)),
      stage: err.stage,
      remote: endpoint(host),
      ...(tlsOutcome ? { tls: tlsOutcome } : {}),
    };
  }
  // Every host was refused by the TLS policy before a connect: defer with 4.7.5, never downgrade
  // (RFC 8461 §5: "MUST NOT deliver"; RFC 7672 §2.2).
  if (skipped && tried === 0) {
    const { plan, host } = skipped;
    return {
      kind: 'unreachable',
      reply: new SmtpReply(451, `[internal] TLS policy refused ${host.name}: ${plan.skip!.detail}`, '4.7.5'),
      stage: Stage.NOT_CONNECTED,
      ...(tlsOutcome ? { tls: tlsOutcome } : {}),
    };
  }
  if (route.gateway && route.hosts.length === 1 && last) {
    return {
      kind: 'unreachable',
      reply: boundedReply(last.reply),
      stage: Stage.NOT_CONNECTED,
      ...(sentByHost(last.reply) ? { remote: endpoint(last.host) } : {}),
    };
  }
  // A host that answered (a 4xx greeting, a malformed or endless reply) is reported with what it
  // sent: a transient reply as it is, a 5xx at greeting inside Momentum's no-MX text (the queue
  // retries either way: another MX or a later try may do better, RFC 5321 §5.1).
  if (answered) {
    const { err, host } = answered;
    const reply =
      err.reply.code >= 400 && err.reply.code < 500
        ? boundedReply(err.reply)
        : noMxReachableAfter(host.name, host.address, err.reply);
    return { kind: 'unreachable', reply, stage: err.stage, remote: endpoint(host) };
  }
  // No host said anything (refused, unreachable, timed out): Momentum's text.
  return { kind: 'unreachable', reply: InternalReplies.noMxReachable, stage: Stage.NOT_CONNECTED };
}

/** A failed session (or unused host) under a TLS policy, as a TlsOutcome. */
function policyFailure(plan: TlsPlan, failure: TlsOutcome['failure']): TlsOutcome {
  return {
    policy: plan.policy,
    result: 'failure',
    ...(failure ? { failure } : {}),
    ...(plan.mode ? { mode: plan.mode } : {}),
  };
}
