/**
 * Bus events → event-log records, as pure functions. One record per recipient and event, in
 * Momentum's record types (reference §8: R, D, T, P; expiration split out of P; rejectlog).
 * Unknown fields are left out rather than written empty.
 */
import {
  domainOf,
  formatReply,
  type BounceGenerated,
  type DeliveryAttempt,
  type DeliveryFailed,
  type MessageRejected,
  type MessageSpooled,
  type OutcomeStatus,
  type ReplyData,
  type ShapingChanged,
} from '@petrel/core';

export type EventType =
  | 'reception'
  | 'delivery'
  | 'transient_failure'
  | 'permanent_failure'
  | 'expiration'
  | 'rejection'
  | 'bounce'
  | 'out_of_band'
  | 'feedback'
  | 'unparsed_report'
  | 'shaping';

/** Classifies a reply for a recipient domain, at a connection stage when known (@petrel/bounce's classify). */
export type ClassifyFn = (
  reply: ReplyData,
  domain: string,
  stage?: number,
) => { readonly code: number; readonly name: string };

/** One line of events.jsonl. Field names are the file format: change them only with docs/logs.md. */
export interface EventRecord {
  /** ISO 8601 UTC with milliseconds. */
  readonly time: string;
  readonly type: EventType;
  readonly message_id?: string;
  /** Reverse-path; "" is the null sender. */
  readonly sender?: string;
  readonly recipient?: string;
  readonly domain?: string;
  readonly binding?: string;
  readonly binding_group?: string;
  readonly source_address?: string;
  readonly remote_host?: string;
  readonly remote_ip?: string;
  /** The reply on one line, "550 5.1.1 text". */
  readonly reply?: string;
  readonly code?: number;
  readonly enhanced?: string;
  /** Momentum bounce class code and name (failures and bounces only). */
  readonly bounce_class?: number;
  readonly bounce_class_name?: string;
  /** Momentum connection stage code (reference §8). */
  readonly stage?: number;
  /** 1 for the first attempt. */
  readonly attempt?: number;
  readonly queue_time_ms?: number;
  readonly size?: number;
  readonly protocol?: string;
  readonly client_ip?: string;
  /** Server phase of a rejection, e.g. "awaiting mailfrom". */
  readonly phase?: string;
  readonly connection_id?: string;
  /** TLS of the outbound connection, when it used STARTTLS. */
  readonly tls_version?: string;
  readonly tls_cipher?: string;
  /** How TLS was decided: none, opportunistic, mta-sts or dane (docs/tls-policy.md). */
  readonly tls_policy?: string;
  /** success, failure or plaintext. */
  readonly tls_result?: string;
  /** RFC 8460 result type of a failure (certificate-host-mismatch, tlsa-invalid, …). */
  readonly tls_failure?: string;
  /** MTA-STS mode (enforce, testing) when tls_policy is mta-sts. */
  readonly tls_mode?: string;
  /** `bounce`: spool id of the DSN that reports this recipient, and its Action. */
  readonly dsn_id?: string;
  readonly action?: string;
  /** `reception` written again at recovery because the first may have been lost (a possible duplicate). */
  readonly recovered?: boolean;
  /** Inbound reports (out_of_band, feedback, unparsed_report; docs/feedback-loop.md): Petrel's id for the report. */
  readonly report_id?: string;
  /** How it was read: rfc3464, arf, rfc3834, qmail, exim, postfix, sendmail, exchange, text, none. */
  readonly report_format?: string;
  /** How message_id was found: verp, received, x-petrel-id. */
  readonly tied_by?: string;
  readonly final_recipient?: string;
  /** Message-ID: of the returned original. */
  readonly original_message_id?: string;
  readonly feedback_type?: string;
  readonly user_agent?: string;
  /** Why a report is unparsed, or what showed an auto-reply. */
  readonly reason?: string;
  /** Where an unparsed report is kept. */
  readonly stored_at?: string;
  /** The report (or the listener, accept_and_fail) put this recipient on the suppression list / applied it. */
  readonly suppressed?: boolean;
  readonly suppression_reason?: string;
  /** `shaping`: set, cleared, expired or restored; the state's id, kind, scope, source, rule, limits, times. */
  readonly change?: string;
  readonly state_id?: string;
  readonly kind?: string;
  readonly scope?: string;
  readonly site?: string;
  readonly source?: string;
  readonly rule?: string;
  readonly rate?: string;
  readonly connections?: number;
  /** ISO 8601: when the state started and when it ends by itself. */
  readonly since?: string;
  readonly until?: string;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Builds a record in the documented field order, leaving out undefined fields. */
function record(fields: Mutable<EventRecord>): EventRecord {
  const out: Record<string, unknown> = {};
  // for…in rather than Object.entries: no [key, value] array per field (a record per recipient and event).
  for (const k in fields) {
    const v = fields[k as keyof EventRecord];
    if (v !== undefined) out[k] = v;
  }
  return out as unknown as EventRecord;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function replyFields(r: ReplyData): Pick<EventRecord, 'reply' | 'code' | 'enhanced'> {
  return { reply: formatReply(r), code: r.code, enhanced: r.enhanced };
}

function classFields(
  r: ReplyData,
  domain: string,
  classify: ClassifyFn | undefined,
  stage?: number,
): Pick<EventRecord, 'bounce_class' | 'bounce_class_name'> {
  if (!classify) return {};
  const c = classify(r, domain, stage);
  return { bounce_class: c.code, bounce_class_name: c.name };
}

const OUTCOME_TYPE: Record<OutcomeStatus, EventType> = {
  delivered: 'delivery',
  transient: 'transient_failure',
  permanent: 'permanent_failure',
};

/**
 * True when a recovered message may lack its reception record: nothing happened to it since the
 * commit (every recipient pending, none attempted). A kill -9 between the spool's commit and the
 * publish of message.spooled leaves exactly that; once a recipient was attempted or finished, the
 * message had been published, and its record written (synchronously, before routing saw it).
 */
function untouched(ev: MessageSpooled): boolean {
  const pending = ev.pending;
  if (!pending || pending.length !== ev.envelope.recipients.length) return false;
  return pending.every((r) => r.attempts === 0 && r.lastReply === undefined);
}

/**
 * `reception` per recipient of a newly received message. For a recovered message, again (with
 * `recovered: true`) when its record may have been lost: at-least-once, deduplicate on
 * (message_id, recipient, type) (docs/logs.md "Guarantee").
 */
export function receptionRecords(ev: MessageSpooled): EventRecord[] {
  if (ev.recovered && !untouched(ev)) return [];
  const env = ev.envelope;
  return env.recipients.map((r) =>
    record({
      time: iso(env.receivedAt),
      type: 'reception',
      message_id: env.id,
      sender: env.sender,
      recipient: r.address,
      domain: r.domain,
      size: env.size,
      protocol: env.protocol,
      client_ip: env.client?.address,
      recovered: ev.recovered ? true : undefined,
    }),
  );
}

/** One record per recipient outcome of an attempt. */
export function attemptRecords(a: DeliveryAttempt, classify?: ClassifyFn): EventRecord[] {
  const job = a.job;
  return a.outcomes.map((o) =>
    record({
      time: iso(a.finishedAt),
      type: OUTCOME_TYPE[o.status],
      message_id: job.messageId,
      sender: job.sender,
      recipient: o.address,
      domain: job.domain,
      binding: job.binding,
      binding_group: job.bindingGroup,
      source_address: a.sourceAddress,
      remote_host: a.remote?.host,
      remote_ip: a.remote?.ip,
      ...replyFields(o.reply),
      ...(o.status === 'delivered' ? {} : classFields(o.reply, job.domain, classify, o.stage)),
      stage: o.stage,
      attempt: job.attempts + 1,
      queue_time_ms: a.finishedAt - job.receivedAt,
      size: job.size,
      tls_version: a.tls?.protocol,
      tls_cipher: a.tls?.cipher,
      tls_policy: a.tlsPolicy?.policy,
      tls_result: a.tlsPolicy?.result,
      tls_failure: a.tlsPolicy?.failure,
      tls_mode: a.tlsPolicy?.mode,
      // Ties the record to the connection's lines in a trace_file (petrel message trace).
      connection_id: a.connectionId,
    }),
  );
}

/** One record per failed recipient: `expiration` when time or retries ran out, else `permanent_failure`. */
export function failureRecords(ev: DeliveryFailed, now: number, classify?: ClassifyFn): EventRecord[] {
  const job = ev.job;
  const byIndex = new Map(job.recipients.map((r) => [r.index, r.address]));
  return ev.indexes.map((index) =>
    record({
      time: iso(now),
      type: ev.reason === 'expiration' ? 'expiration' : 'permanent_failure',
      message_id: job.messageId,
      sender: job.sender,
      recipient: byIndex.get(index),
      domain: job.domain,
      binding: job.binding,
      binding_group: job.bindingGroup,
      ...replyFields(ev.reply),
      ...classFields(ev.reply, job.domain, classify),
      attempt: job.attempts,
      queue_time_ms: now - job.receivedAt,
      size: job.size,
    }),
  );
}

/** The `rejection` record of a refused command or message (Momentum's rejectlog). */
export function rejectionRecord(ev: MessageRejected): EventRecord {
  return record({
    time: iso(ev.time),
    type: 'rejection',
    sender: ev.sender,
    recipient: ev.recipient,
    domain: ev.recipient !== undefined ? domainOf(ev.recipient) || undefined : undefined,
    ...replyFields(ev.reply),
    client_ip: ev.client.address,
    phase: ev.phase,
    connection_id: ev.connectionId,
  });
}

/** One `bounce` record per recipient a generated DSN reports. */
export function bounceRecords(b: BounceGenerated): EventRecord[] {
  const job = b.job;
  return b.recipients.map((r) =>
    record({
      time: iso(b.time),
      type: 'bounce',
      message_id: job.messageId,
      sender: job.sender,
      recipient: r.address,
      domain: job.domain,
      binding: job.binding,
      binding_group: job.bindingGroup,
      // RFC 3464 §2.3.6: the DSN names the remote MTA whose reply it reports; so does its record.
      remote_host: b.remote?.host,
      remote_ip: b.remote?.ip,
      ...replyFields(r.reply),
      bounce_class: r.bounceClass,
      bounce_class_name: r.bounceClassName,
      stage: r.stage,
      size: job.size,
      dsn_id: b.dsnId,
      action: b.action,
    }),
  );
}

/**
 * One `shaping` record per change of a shaping state (docs/logs.md): `reply` is the cause (the
 * remote reply that triggered a rule, or an operator's reason).
 */
export function shapingRecord(ev: ShapingChanged): EventRecord {
  const s = ev.state;
  return record({
    time: iso(ev.time),
    type: 'shaping',
    change: ev.change,
    state_id: s.id,
    kind: s.kind,
    scope: s.scope,
    binding: s.binding,
    domain: s.domain,
    site: s.site,
    source: s.source,
    rule: s.rule,
    reply: s.cause,
    rate: s.rate ? `${s.rate.count}/${Math.round(s.rate.perMs / 1000)}s` : undefined,
    connections: s.connections,
    since: iso(s.since),
    until: s.until !== undefined ? iso(s.until) : undefined,
  });
}
