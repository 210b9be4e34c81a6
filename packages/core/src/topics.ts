/**
 * The bus topic map: every message that crosses a package boundary, declared in one place
 * (ARCHITECTURE.md "The bus"). Events are published to all subscribers; requests have exactly one
 * handler. Data flows one way: listener → spool → routing → queue → outbound → (queue, spool, eventlog).
 */
import type {
  DeliveryAttempt,
  DeliveryJob,
  MessageEnvelope,
  RecipientState,
  RemoteEndpoint,
  Route,
  TlsOutcome,
} from './model.js';
import type { ReplyData } from './reply.js';
import type { Rate } from './config/units.js';
import type { ShapingChanged, ShapingScopeKind, ShapingState, SiteLearned } from './shaping.js';

/** A message handed to the spool by the listener (or by internal inject). */
export interface StoreRequest {
  readonly envelope: MessageEnvelope;
  /** The whole message as it will be delivered (trace header included), CRLF line ends. */
  readonly body: Buffer;
  /**
   * A spool record committed in the message's own transaction (HTTP injection's Idempotency-Key):
   * the message is stored if and only if the record is. A key already present refuses the message
   * with PETREL_ERR_SPOOL_RECORD_EXISTS.
   */
  readonly record?: SpoolRecord;
}

/** A small durable key/value row in the spool database (idempotency keys, webhook cursors). */
export interface SpoolRecord {
  readonly key: string;
  readonly value: string;
}

/** A stored spool record and when it was last written (epoch ms). */
export interface SpoolRecordRow extends SpoolRecord {
  readonly updatedAt: number;
}

export interface StoreResult {
  readonly id: string;
}

/** Published by spool once a message is durable, and again for each unfinished message at recovery. */
export interface MessageSpooled {
  readonly envelope: MessageEnvelope;
  /** True when replayed from the spool at start rather than just received. */
  readonly recovered: boolean;
  /**
   * Recipients still to deliver, with their persisted retry state. Absent for a new message
   * (every recipient pending, no attempt yet).
   */
  readonly pending?: readonly RecipientState[];
}

/** Published by routing: the message split into delivery jobs per (binding, domain). */
export interface MessageRouted {
  readonly envelope: MessageEnvelope;
  readonly jobs: readonly DeliveryJob[];
  readonly recovered: boolean;
}

/** Published by the listener for every refused command or message. */
export interface MessageRejected {
  readonly time: number;
  /** Momentum server phase name, e.g. "awaiting mailfrom", "reading body". */
  readonly phase: string;
  readonly reply: ReplyData;
  readonly client: { readonly address: string; readonly port: number };
  readonly localAddress?: string;
  readonly helo?: string;
  readonly sender?: string;
  readonly recipient?: string;
  readonly connectionId: string;
}

/** Published by queue when an active queue wants connections. */
export interface QueueDemand {
  readonly binding: string;
  readonly domain: string;
  /** Jobs in the active queue now. */
  readonly active: number;
  /** Connections wanted for this (binding, domain) in total (the connection goal). */
  readonly goal: number;
}

/**
 * Published by queue when a transient failure is rescheduled. It carries the queue's own
 * schedule (next attempt, the expiry it will enforce) so that no subscriber re-derives the
 * back-off: a delay DSN's Will-Retry-Until is exactly `expiresAt` (RFC 3464 §2.3.7).
 */
export interface DeliveryDeferred {
  readonly job: DeliveryJob;
  /** Attempts so far, including the one that just failed. */
  readonly attempts: number;
  /** Epoch ms of the next attempt the queue scheduled. */
  readonly nextAttemptAt: number;
  /** Epoch ms from which the queue fails the recipients as expired (receivedAt + message_expiration). */
  readonly expiresAt: number;
  /** Epoch ms of the attempt before this one (reception for a first attempt), as the queue knew it. */
  readonly previousAttemptAt: number;
  readonly reply: ReplyData;
  /** The host that gave `reply`, when it came from a remote host (RFC 3464 §2.3.6 Remote-MTA). */
  readonly remote?: RemoteEndpoint;
}

/** Published by queue when recipients fail for good without a remote 5xx: expiry, max retries, policy. */
export interface DeliveryFailed {
  readonly job: DeliveryJob;
  /** The job's recipients that failed (indexes into the envelope). */
  readonly indexes: readonly number[];
  readonly reply: ReplyData;
  /**
   * "expiration": message_expiration reached, max_retries exhausted or never_retry (Momentum logs
   * all three as expiry with 554 5.4.7); "policy": an operator action (`queue.fail`).
   */
  readonly reason: 'expiration' | 'policy';
  /** No DSN for these failures (Momentum's `fail … quiet`). */
  readonly quiet?: boolean;
}

/** Published by outbound when it hands a job back untried (stop, route change). */
export interface DeliveryReleased {
  readonly job: DeliveryJob;
}

export interface TakeRequest {
  readonly binding: string;
  readonly domain: string;
}

export interface RouteRequest {
  readonly binding: string;
  readonly domain: string;
}

export interface BodyRequest {
  readonly id: string;
}

/** Selects queued mail for an operator action; absent fields match everything. */
export interface QueueSelector {
  readonly binding?: string;
  readonly domain?: string;
  readonly messageId?: string;
}

/** One (binding, domain) queue's counts (Momentum `mailq`/`active`/`delayed`). */
export interface QueueCount {
  readonly binding: string;
  readonly bindingGroup: string;
  readonly domain: string;
  readonly active: number;
  readonly delayed: number;
  readonly inFlight: number;
  readonly suspended: boolean;
  /** Reception time of the oldest queued job, epoch ms; 0 when empty. */
  readonly oldestReceivedAt: number;
  /**
   * Present when part of the queue is swapped out: its jobs held in memory (active + delayed + in
   * flight, at most max_resident_active_queue); the rest of active + delayed waits in the swap file.
   */
  readonly resident?: number;
}

export interface Suspension {
  readonly binding?: string;
  readonly domain?: string;
  readonly reason?: string;
  /** Who set it (absent = operator); shaping rules and policy modules say so (docs/shaping.md). */
  readonly source?: 'operator' | 'rule' | 'policy';
  /** The shaping rule that set it. */
  readonly rule?: string;
  readonly since: number;
  /** Epoch ms when it ends by itself; absent = until resumed. */
  readonly until?: number;
}

/** One (binding, domain) as `queue shape` (qshape) shows it: queued recipients by age. */
export interface QueueShape {
  readonly binding: string;
  readonly domain: string;
  /** Recipients queued (active, delayed, in flight, swapped). */
  readonly recipients: number;
  /** Recipients by age since reception: [0] younger than bounds[0], …, last: at least the last bound. */
  readonly byAge: readonly number[];
}

/** One queued job as `showqueue` lists it. */
export interface QueuedJobInfo {
  readonly jobId: string;
  readonly messageId: string;
  readonly binding: string;
  readonly domain: string;
  readonly sender: string;
  readonly recipients: readonly string[];
  readonly queue: 'active' | 'delayed' | 'in-flight';
  readonly attempts: number;
  readonly nextAttemptAt: number;
  readonly receivedAt: number;
  readonly lastReply?: ReplyData;
}

/** What the spool knows of one message, for `petrel message show`. */
export interface MessageDetails {
  readonly envelope: MessageEnvelope;
  readonly recipients: readonly {
    readonly index: number;
    readonly address: string;
    readonly status: 'pending' | 'delivered' | 'failed';
    readonly attempts: number;
    readonly nextAttemptAt: number;
    readonly lastReply?: ReplyData;
  }[];
}

/** A service's counters for the control API (`summary`, `/metrics`): numbers, plus optional detail lists. */
export type ServiceStats = Readonly<Record<string, number | readonly Readonly<Record<string, string | number>>[]>>;

/** One outbound connection pool of a (binding, domain): open and idle connections and its goal. */
export interface OutboundPoolStats {
  readonly binding: string;
  readonly domain: string;
  readonly open: number;
  readonly idle: number;
  readonly goal: number;
}

/** One outbound connection and the SMTP state it is in (Momentum's per-connection view). */
export interface OutboundSessionInfo {
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

/** `outbound.stats`: open connections, jobs in flight, and the pools and sessions behind them. */
export interface OutboundStatsReply {
  readonly connections: number;
  readonly inFlight: number;
  readonly pools: readonly OutboundPoolStats[];
  readonly sessions: readonly OutboundSessionInfo[];
}

/** One node of a cluster as its last heartbeat in Redis describes it (`petrel cluster status`). */
export interface ClusterNodeInfo {
  readonly node: string;
  readonly hostname: string;
  readonly pid: number;
  readonly startedAt: number;
  /** When the node wrote this heartbeat, epoch ms (its clock). */
  readonly heartbeatAt: number;
  /** Its queue totals then: active, delayed (held mail included), in flight. */
  readonly active: number;
  readonly delayed: number;
  readonly inFlight: number;
  /** The node ran degraded (Redis unreachable) since this time, epoch ms; absent = healthy. */
  readonly degradedSince?: number;
}

/** `cluster.status`: this node's view of the cluster and the shared state (docs/scaling.md). */
export interface ClusterStatus {
  readonly node: string;
  /** The Redis URL without its password. */
  readonly redis: string;
  /** Whether this node reaches Redis now. */
  readonly state: 'up' | 'down';
  /** Times this node lost Redis since it started. */
  readonly degradations: number;
  /** The live node count limits are divided by while Redis is down. */
  readonly liveNodes: number;
  readonly nodes: readonly ClusterNodeInfo[];
  readonly suspensions: readonly Suspension[];
  /** Shared shaping states: throttles and connection limits set by rules, operators or modules. */
  readonly shaping: readonly ShapingState[];
  /** Entries in the shared suppression list (removals remembered as tombstones count too). */
  readonly suppressions: number;
  /** Shared token buckets: key (option, scope, rate) and the tokens left at the last refill. */
  readonly throttles: readonly { readonly key: string; readonly tokens: number }[];
  /** Shared connection limits: key and the leases (open connections) held across nodes. */
  readonly leases: readonly { readonly key: string; readonly count: number }[];
}

/** Lifecycle: every service has started; the spool now replays unfinished mail. */
/**
 * Published by the DSN service once it has stored a DSN (internal inject): the event log writes a
 * `bounce` record per covered recipient (Momentum's bouncelog B record).
 */
export interface BounceGenerated {
  readonly time: number;
  /** Spool id of the DSN message. */
  readonly dsnId: string;
  /** The job whose recipients the DSN reports. */
  readonly job: DeliveryJob;
  readonly action: 'failed' | 'delayed' | 'relayed';
  readonly remote?: RemoteEndpoint;
  readonly recipients: readonly {
    readonly index: number;
    readonly address: string;
    readonly reply: ReplyData;
    /** Momentum connection stage (21 = out of band); absent for expiry/policy failures. */
    readonly stage?: number;
    readonly bounceClass: number;
    readonly bounceClassName: string;
  }[];
}

/**
 * The libESMTP-named SMTP client events outbound passes on (smtp-client's SessionEvents), each
 * with its detail. mail-status, rcpt-status and message-data are not published: every recipient's
 * reply is already in `delivery.attempted`, and body progress is per write. There is no
 * deliverby-expired: Petrel does not implement DELIVERBY (RFC 2852).
 */
export type SmtpClientEvent =
  | { readonly event: 'connect'; readonly details: { readonly host: string; readonly port: number } }
  | { readonly event: 'disconnect'; readonly details?: undefined }
  | { readonly event: 'syntax-warning'; readonly details: { readonly message: string; readonly line: string } }
  /** `extension`: STARTTLS, AUTH, DSN, 8BITMIME, SMTPUTF8, CHUNKING or BINARYMIME. */
  | { readonly event: 'extension-not-available'; readonly details: { readonly extension: string } }
  | { readonly event: 'message-sent'; readonly details: { readonly reply: ReplyData; readonly bytes: number } };

export type SmtpClientEventName = SmtpClientEvent['event'];

/** Runtime list of the SMTP client event names (a bounded metrics label). */
export const SMTP_CLIENT_EVENT_NAMES: readonly SmtpClientEventName[] = [
  'connect',
  'disconnect',
  'syntax-warning',
  'extension-not-available',
  'message-sent',
];

/** Published by outbound for each SMTP client event of its sessions, with where it happened. */
export type OutboundSessionEvent = SmtpClientEvent & {
  readonly time: number;
  readonly binding: string;
  readonly domain: string;
  /** The route host: MX (or gateway) name and the address dialled. */
  readonly host: string;
  readonly ip: string;
  readonly connectionId: string;
};

export interface SystemReady {
  readonly time: number;
}

/**
 * Published by the app after `petrel config reload` swapped the config that ServiceContext.config
 * returns. Services drop what they derived from the old config (route resolvers, throttle buckets,
 * idle connections on old routes) and re-check their queues.
 */
export interface ConfigReloaded {
  readonly time: number;
  /** What the reload reported as applied (operator wording). */
  readonly applied: readonly string[];
}

/** Why an address is on the suppression list (docs/feedback-loop.md). */
export type SuppressionReason = 'hard_bounce' | 'out_of_band' | 'complaint' | 'manual';

/** One suppression list entry: an address (or "@domain" for a whole domain) in a scope. */
export interface SuppressionEntry {
  /** Lower-cased address, or "@example.com" for every address of a domain. */
  readonly address: string;
  /** "global", or the name of a binding group. */
  readonly scope: string;
  readonly reason: SuppressionReason;
  /** The bounce class that caused it (hard_bounce, out_of_band). */
  readonly bounceClass?: number;
  /** What caused it: a message id, a feedback type, "cli", "import". */
  readonly source: string;
  /** Epoch ms. */
  readonly createdAt: number;
}

/** Which entries a list call returns; absent fields match everything. */
export interface SuppressionFilter {
  readonly address?: string;
  readonly scope?: string;
  readonly reason?: SuppressionReason;
  readonly limit?: number;
  readonly offset?: number;
}

/**
 * Where the suppression list lives. Narrow on purpose: the spool database implements it on one
 * node; a shared store (Redis, [cluster]) can implement the same five calls.
 */
export interface SuppressionStore {
  /** Adds or replaces (same address and scope) entries; resolves with how many were written, durably. */
  add(entries: readonly SuppressionEntry[]): Promise<number>;
  /** Removes the entries of an address (every scope when scope is absent). */
  remove(address: string, scope?: string): Promise<number>;
  /** The entry that suppresses `address` in one of `scopes` (address before "@domain"), if any. */
  find(address: string, scopes: readonly string[]): Promise<SuppressionEntry | undefined>;
  list(filter: SuppressionFilter): Promise<readonly SuppressionEntry[]>;
  /** Entries per reason. */
  counts(): Promise<Readonly<Record<SuppressionReason, number>>>;
}

/** One recipient an inbound report is about (the @petrel/bounce parser's ReportRecipient). */
export interface InboundReportRecipient {
  readonly address: string;
  readonly finalRecipient?: string;
  readonly action: string;
  readonly reply: ReplyData;
  readonly bounceClass?: number;
  readonly bounceClassName?: string;
  readonly remoteMta?: string;
}

/** A parsed bounce, auto-reply, complaint or unparsed message (the @petrel/bounce InboundReport). */
export interface InboundReportData {
  readonly kind: 'bounce' | 'auto_reply' | 'feedback' | 'unparsed';
  readonly format: string;
  readonly messageId?: string;
  readonly tiedBy?: string;
  readonly verp?: { readonly messageId: string; readonly recipient: string; readonly verified: boolean };
  readonly originalMessageId?: string;
  readonly recipients: readonly InboundReportRecipient[];
  readonly feedback?: {
    readonly feedbackType: string;
    readonly userAgent?: string;
    readonly sourceIp?: string;
    readonly originalMailFrom?: string;
    readonly originalRcptTo: readonly string[];
    readonly arrivalDate?: string;
    readonly reportedDomain?: string;
  };
  readonly reason?: string;
  readonly subject?: string;
  readonly from?: string;
}

/** Mail the listener took for a return-path domain: never relayed, handed to the inbound report service. */
export interface InboundReceive {
  readonly sender: string;
  readonly recipients: readonly string[];
  readonly client: { readonly address: string; readonly helo?: string };
  /** The message as received (trace header included), CRLF line ends. */
  readonly body: Buffer;
}

/** Published once an inbound message was read (and kept when unparsed): the event log writes its records. */
export interface InboundReported {
  readonly time: number;
  /** Petrel's id for the received report (its .eml name when kept). */
  readonly id: string;
  readonly sender: string;
  readonly clientIp: string;
  readonly size: number;
  readonly report: InboundReportData;
  /** Where an unparsed message was kept. */
  readonly storedAt?: string;
  /** Entries the report added to the suppression list. */
  readonly suppressed: readonly string[];
}

/** Published by the listener for a suppressed recipient it accepted and failed (suppression_action accept_and_fail). */
export interface SuppressionEnforced {
  readonly time: number;
  /** The stored message the other recipients went on with, or the id the 250 named. */
  readonly messageId: string;
  readonly sender: string;
  readonly recipient: string;
  readonly reply: ReplyData;
  readonly entry: SuppressionEntry;
  readonly clientIp: string;
}

/**
 * One outbound TLS session decision and its result (RFC 8460 counts sessions, not messages): outbound
 * publishes it for every host it tried under a policy, and MTA-STS discovery failures too.
 */
export interface TlsSessionReport {
  /** Epoch ms. */
  readonly at: number;
  /** The recipient (policy) domain. */
  readonly domain: string;
  readonly outcome: TlsOutcome;
  /** RFC 8460 §4.3 policy-string: the MTA-STS policy lines or the TLSA records, when a policy applied. */
  readonly policyString?: readonly string[];
  /** The MX host tried, and its address. */
  readonly mxHost?: string;
  readonly receivingIp?: string;
  /** Words for failure-reason-code / additional-information. */
  readonly detail?: string;
}

/** `tls.report`: the RFC 8460 report of one (domain, UTC day). */
export interface TlsReportRequest {
  readonly domain: string;
  /** YYYY-MM-DD, UTC. */
  readonly date: string;
}

/** Published by queue when a suspension starts, is lifted, or ends by itself. */
export interface SuspensionChanged {
  readonly time: number;
  readonly change: 'set' | 'lifted' | 'expired';
  readonly suspension: Suspension;
}

/** One MX rollup site as `petrel queue --sites` shows it: its queues summed. */
export interface SiteCount {
  readonly site: string;
  readonly binding: string;
  readonly domains: readonly string[];
  readonly active: number;
  readonly delayed: number;
  readonly inFlight: number;
}

/** `shaping.set`: a state set by an operator or a policy module (docs/shaping.md, docs/policy.md). */
export interface ShapingSetRequest {
  readonly kind: ShapingState['kind'];
  readonly scope: ShapingScopeKind;
  readonly binding?: string;
  readonly domain?: string;
  readonly site?: string;
  readonly durationMs?: number;
  readonly rate?: Rate;
  readonly connections?: number;
  readonly cause?: string;
  readonly source: 'operator' | 'policy';
}

/** Published events. */
export interface Events {
  'message.spooled': MessageSpooled;
  'message.routed': MessageRouted;
  'message.rejected': MessageRejected;
  'queue.demand': QueueDemand;
  'delivery.attempted': DeliveryAttempt;
  'delivery.deferred': DeliveryDeferred;
  'delivery.failed': DeliveryFailed;
  'delivery.released': DeliveryReleased;
  'system.ready': SystemReady;
  'config.reloaded': ConfigReloaded;
  'bounce.generated': BounceGenerated;
  'outbound.session_event': OutboundSessionEvent;
  'inbound.reported': InboundReported;
  'suppression.enforced': SuppressionEnforced;
  'tls.session': TlsSessionReport;
  'queue.suspension': SuspensionChanged;
  'shaping.changed': ShapingChanged;
  'routing.site': SiteLearned;
}

/** Requests: payload and result types; exactly one handler each. */
export interface Requests {
  'spool.store': { payload: StoreRequest; result: StoreResult };
  'spool.body': { payload: BodyRequest; result: Buffer };
  'queue.take': { payload: TakeRequest; result: DeliveryJob | null };
  'routing.route': { payload: RouteRequest; result: Route };
  /** One message's envelope and per-recipient state; null when not in the spool. */
  'spool.message': { payload: { readonly id: string }; result: MessageDetails | null };
  /** Counters of a service, for the control API; each service registers its own. */
  'spool.stats': { payload: Record<string, never>; result: ServiceStats };
  'listener.stats': { payload: Record<string, never>; result: ServiceStats };
  'outbound.stats': { payload: Record<string, never>; result: OutboundStatsReply };
  /** The cluster seen from this node (only registered when [cluster] redis is set). */
  'cluster.status': { payload: Record<string, never>; result: ClusterStatus };
  /** Cheap local cluster counters for /metrics: redisUp (0/1), degradations, liveNodes, leases. */
  'cluster.stats': { payload: Record<string, never>; result: ServiceStats };
  /** Policy hook counters per (module, hook), as `hooks` rows (docs/policy.md). */
  'policy.stats': { payload: Record<string, never>; result: ServiceStats };
  /** How routing reaches a (binding, domain): the Route plus its MX or gateway detail, for `petrel domain`. */
  'routing.explain': {
    payload: RouteRequest;
    result: { readonly route: Route; readonly source: string } & Readonly<Record<string, unknown>>;
  };
  /** Re-runs binding assignment for a queued job (rebind). */
  'routing.assign': {
    payload: { readonly job: DeliveryJob };
    result: { readonly binding: string; readonly bindingGroup: string };
  };
  /** Operator actions on the queue (control API / CLI). `dryRun` counts without acting. */
  'queue.counts': { payload: QueueSelector; result: readonly QueueCount[] };
  'queue.jobs': {
    payload: QueueSelector & { readonly limit?: number; readonly offset?: number };
    result: readonly QueuedJobInfo[];
  };
  /** qshape from counters kept per reception second: O(queues × seconds), never O(jobs). */
  'queue.shape': { payload: QueueSelector & { readonly bounds: readonly number[] }; result: readonly QueueShape[] };
  'queue.suspend': {
    payload: QueueSelector & {
      readonly durationMs?: number;
      readonly reason?: string;
      /** Restoring a stored suspension: its original start (epoch ms). */
      readonly since?: number;
      /** Restoring a stored suspension: its original end (epoch ms), kept exact (not re-derived from a duration). */
      readonly until?: number;
      readonly source?: Suspension['source'];
      readonly rule?: string;
    };
    result: { readonly suspension: Suspension };
  };
  'queue.resume': { payload: QueueSelector; result: { readonly resumed: number } };
  'queue.suspensions': { payload: Record<string, never>; result: readonly Suspension[] };
  /** Delayed → active now (Momentum `flush domain`; with messageId, `message retry`). */
  'queue.flush': { payload: QueueSelector; result: { readonly requeued: number } };
  /** Permanent failure for queued mail (Momentum `fail domain [quiet]`, `message fail`). */
  'queue.fail': {
    payload: QueueSelector & {
      readonly quiet?: boolean;
      readonly dryRun?: boolean;
      readonly reply?: ReplyData /** at most this many jobs per call (chunked operations) */;
      readonly limit?: number;
    };
    result: { readonly failed: number };
  };
  /** Move a domain's queued mail to another domain's route (Momentum `reroute queue`). */
  'queue.reroute': {
    payload: { readonly from: string; readonly to: string; readonly dryRun?: boolean; readonly limit?: number };
    result: { readonly moved: number };
  };
  /** Re-run binding assignment for queued mail of a binding ('all' = every binding), optionally one domain. */
  'queue.rebind': {
    payload: { readonly binding: string; readonly domain?: string };
    result: { readonly rebound: number };
  };
  /** Queued mail per MX rollup site and binding (`petrel queue --sites`). */
  'queue.sites': { payload: Record<string, never>; result: readonly SiteCount[] };
  /** Every active shaping state, suspensions included (`petrel shaping`). */
  'shaping.list': { payload: Record<string, never>; result: readonly ShapingState[] };
  /** Sets (or replaces) a state; the result is the state in force. */
  'shaping.set': { payload: ShapingSetRequest; result: ShapingState };
  /** Lifts the state with this id (`petrel shaping clear`); `cleared` is 0 when there was none. */
  'shaping.clear': { payload: { readonly id: string }; result: { readonly cleared: number } };
  /** Every event-log record of one message, oldest first (`petrel message trace`); the event log owns its files. */
  'eventlog.trace': { payload: { readonly messageId: string }; result: readonly EventLogRecord[] };
  /**
   * Are the DSNs that these messages' failures (deferrals, relayed deliveries) so far called for
   * durable in the spool? Resolves once every one is settled, with the messages whose DSN could not
   * be stored (none when all were, or none was due). The spool records such an outcome only after
   * this, so a crash between the two never loses the notice: the recipient is tried again instead.
   */
  'bounce.settled': { payload: { readonly messageIds: readonly string[] }; result: readonly string[] };
  /** Parse (and keep when unparsed) mail to a return-path domain; resolves once it is durable. */
  'inbound.receive': { payload: InboundReceive; result: { readonly id: string } };
  /**
   * Is this recipient suppressed (global entries, and the binding group's when given)? Asked by the
   * listener at RCPT, outbound at delivery, and HTTP injection.
   */
  'suppression.check': {
    payload: { readonly address: string; readonly bindingGroup?: string };
    result: SuppressionEntry | null;
  };
  'suppression.add': {
    payload: {
      readonly entries: readonly (Omit<SuppressionEntry, 'createdAt' | 'scope'> & {
        readonly scope?: string;
        readonly createdAt?: number;
      })[];
    };
    result: { readonly added: number };
  };
  'suppression.remove': {
    payload: { readonly address: string; readonly scope?: string };
    result: { readonly removed: number };
  };
  'suppression.list': { payload: SuppressionFilter; result: readonly SuppressionEntry[] };
  'suppression.stats': { payload: Record<string, never>; result: ServiceStats };
  /** Spool records by key, in the order asked (null = absent). */
  'spool.records': { payload: { readonly keys: readonly string[] }; result: readonly (SpoolRecordRow | null)[] };
  /** Writes (insert or replace) a spool record; resolves after the fsync'd commit. */
  'spool.put_record': { payload: SpoolRecord; result: undefined };
  /** Deletes the records whose key starts with `prefix` and last written before `before` (epoch ms). */
  'spool.prune_records': {
    payload: { readonly prefix: string; readonly before: number };
    result: { readonly deleted: number };
  };
  /** Counters of the HTTP injection API and of the webhooks (control /metrics). */
  'http.stats': { payload: Record<string, never>; result: ServiceStats };
  'webhooks.stats': { payload: Record<string, never>; result: ServiceStats };
  /** The RFC 8460 JSON report of a domain for one UTC day, from the durable TLS counters (`petrel tls report`). */
  'tls.report': { payload: TlsReportRequest; result: Readonly<Record<string, unknown>> };
}

/** One record of the event log as written (docs/logs.md names its fields: time, type, message_id, …). */
export type EventLogRecord = Readonly<Record<string, unknown>>;

export type EventName = keyof Events;
export type RequestName = keyof Requests;

/** Runtime list of the names above, so that plugins in plain JS get an error for a typo. */
export const EVENT_NAMES: readonly EventName[] = [
  'message.spooled',
  'message.routed',
  'message.rejected',
  'queue.demand',
  'delivery.attempted',
  'delivery.deferred',
  'delivery.failed',
  'delivery.released',
  'system.ready',
  'config.reloaded',
  'bounce.generated',
  'outbound.session_event',
  'inbound.reported',
  'suppression.enforced',
  'tls.session',
  'queue.suspension',
  'shaping.changed',
  'routing.site',
];
export const REQUEST_NAMES: readonly RequestName[] = [
  'spool.store',
  'spool.body',
  'queue.take',
  'routing.route',
  'routing.assign',
  'routing.explain',
  'spool.message',
  'spool.stats',
  'listener.stats',
  'outbound.stats',
  'policy.stats',
  'queue.counts',
  'queue.jobs',
  'queue.shape',
  'queue.suspend',
  'queue.resume',
  'queue.suspensions',
  'queue.flush',
  'queue.fail',
  'queue.reroute',
  'queue.rebind',
  'eventlog.trace',
  'inbound.receive',
  'bounce.settled',
  'suppression.check',
  'suppression.add',
  'suppression.remove',
  'suppression.list',
  'suppression.stats',
  'spool.records',
  'spool.put_record',
  'spool.prune_records',
  'http.stats',
  'webhooks.stats',
  'cluster.status',
  'cluster.stats',
  'tls.report',
  'queue.sites',
  'shaping.list',
  'shaping.set',
  'shaping.clear',
];
