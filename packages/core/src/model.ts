import type { ReplyData } from './reply.js';

/** One envelope recipient of a message, as accepted by RCPT TO. */
export interface Recipient {
  /** The mailbox without angle brackets, e.g. "bob@example.test". */
  readonly address: string;
  /** The lower-cased domain part, the unit of routing. */
  readonly domain: string;
  /** DSN NOTIFY (RFC 3461 §4.1): NEVER, or some of SUCCESS, FAILURE, DELAY. */
  readonly notify?: readonly string[];
  /** DSN ORCPT (RFC 3461 §4.2), e.g. "rfc822;bob@example.test". */
  readonly orcpt?: string;
}

export type BodyType = '7BIT' | '8BITMIME' | 'BINARYMIME';
export type ReceptionProtocol = 'esmtp' | 'smtp' | 'internal';

/** What the spool keeps about a message besides its body. */
export interface MessageEnvelope {
  readonly id: string;
  /** Reverse-path without brackets; "" is the null sender <> (RFC 5321 §4.5.5). */
  readonly sender: string;
  readonly recipients: readonly Recipient[];
  /** Reception time, epoch ms. */
  readonly receivedAt: number;
  /** Body size in octets as stored (headers included, CRLF line ends). */
  readonly size: number;
  readonly protocol: ReceptionProtocol;
  readonly client?: {
    readonly address: string;
    readonly port?: number;
    readonly helo?: string;
    readonly authUser?: string;
  };
  readonly bodyType?: BodyType;
  readonly smtputf8?: boolean;
  /** DSN RET (RFC 3461 §4.3). */
  readonly ret?: 'FULL' | 'HDRS';
  /** DSN ENVID (RFC 3461 §4.4), decoded. */
  readonly envid?: string;
}

/** Persisted delivery state of one recipient, as the spool replays it at start. */
export interface RecipientState {
  /** Index into MessageEnvelope.recipients. */
  readonly index: number;
  /** Attempts made so far. */
  readonly attempts: number;
  /** Epoch ms of the next attempt; 0 = due now. */
  readonly nextAttemptAt: number;
  readonly lastReply?: ReplyData;
}

/** A recipient inside a delivery job. */
export interface JobRecipient extends Recipient {
  /** Index into MessageEnvelope.recipients: the spool's key for the recipient. */
  readonly index: number;
}

/**
 * The unit the queue manager schedules: one message's recipients for one (binding, domain),
 * at most max_recipients_per_batch of them.
 */
export interface DeliveryJob {
  /** Unique while queued: `${messageId}/${binding}/${domain}/${n}`. */
  readonly id: string;
  readonly messageId: string;
  readonly sender: string;
  readonly binding: string;
  readonly bindingGroup: string;
  readonly domain: string;
  readonly recipients: readonly JobRecipient[];
  readonly size: number;
  readonly receivedAt: number;
  readonly bodyType?: BodyType;
  readonly smtputf8?: boolean;
  readonly ret?: 'FULL' | 'HDRS';
  readonly envid?: string;
  /** Attempts made so far for these recipients. */
  attempts: number;
  /** Epoch ms when the job may next be tried; 0 = now. */
  nextAttemptAt: number;
  lastReply?: ReplyData;
  /**
   * Epoch ms of the last attempt the queue rescheduled (its deferral), when the queue knows it; the
   * queue sets it and publishes it as DeliveryDeferred.previousAttemptAt. Not persisted.
   */
  lastAttemptAt?: number;
  /** Header fields to remove before delivery (e.g. X-Binding once it has chosen the binding). */
  readonly stripHeaders?: readonly string[];
  /** The submitting client (address, AUTH user), so that re-assignment (rebind) can re-run client rules. */
  readonly client?: MessageEnvelope['client'];
}

export type OutcomeStatus = 'delivered' | 'transient' | 'permanent';

/**
 * Momentum's connection stage codes (reference §8): the `stage` field of T/P log records
 * and of every recipient outcome.
 */
/**
 * Momentum's `ehlo_hostname = "__message__"`: EHLO with the envelope sender's domain. A route
 * carries it as is; outbound takes the domain from the first message of each connection (EHLO is
 * sent once per connection, RFC 5321 §4.1.1.1), and the hostname for the null sender.
 */
export const EHLO_FROM_SENDER = '__message__';

export const Stage = {
  NOT_CONNECTED: 0,
  IDLE: 1,
  DURING_MAIL_FROM: 2,
  AFTER_MAIL_FROM: 3,
  DURING_RCPT_TO: 4,
  AFTER_RCPT_TO: 5,
  DURING_DATA: 6,
  AFTER_DATA: 7,
  SENDING_BODY: 8,
  READING_CONFIRMATION: 9,
  DURING_EHLO: 10,
  AFTER_EHLO: 11,
  READING_BANNER: 12,
  DURING_RSET: 13,
  AFTER_RSET: 14,
  DURING_STARTTLS: 15,
  AFTER_STARTTLS: 16,
  HANDSHAKING_TLS: 17,
  RENEGOTIATING_TLS: 18,
  DURING_XCLIENT: 19,
  AFTER_XCLIENT: 20,
  OUT_OF_BAND: 21,
  UNKNOWN: 22,
} as const;
export type StageCode = (typeof Stage)[keyof typeof Stage];

export const STAGE_NAMES: Readonly<Record<number, string>> = {
  0: 'while not connected',
  1: 'while idle',
  2: 'during MAIL FROM',
  3: 'after MAIL FROM',
  4: 'during RCPT TO',
  5: 'after RCPT TO',
  6: 'during DATA',
  7: 'after DATA',
  8: 'while sending BODY',
  9: 'reading confirmation',
  10: 'during EHLO',
  11: 'after EHLO',
  12: 'reading BANNER',
  13: 'during RSET',
  14: 'after RSET',
  15: 'during STARTTLS',
  16: 'after STARTTLS',
  17: 'handshaking TLS',
  18: 'renegotiating TLS',
  19: 'during XCLIENT',
  20: 'after XCLIENT',
  21: 'out of band bounce',
  22: 'in unknown state',
};

/** The result of one delivery attempt for one recipient. */
export interface RecipientOutcome {
  /** Index into MessageEnvelope.recipients. */
  readonly index: number;
  readonly address: string;
  readonly status: OutcomeStatus;
  readonly reply: ReplyData;
  readonly stage: number;
}

/** Where an attempt went. */
export interface RemoteEndpoint {
  /** The MX or gateway host name. */
  readonly host: string;
  readonly ip: string;
  readonly port: number;
}

/** One attempt at one job, as outbound reports it. */
export interface DeliveryAttempt {
  readonly job: DeliveryJob;
  readonly outcomes: readonly RecipientOutcome[];
  /**
   * The host the outcomes' reply came from: the session's peer, or the host that refused a session
   * (greeting, garbage reply, TLS failure). Absent when no host answered (RFC 3464 §2.3.6).
   */
  readonly remote?: RemoteEndpoint;
  /** The source address the connection was bound to, if any. */
  readonly sourceAddress?: string;
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly tls?: { readonly protocol: string; readonly cipher: string };
  /** How TLS was decided for the session and how it went (docs/tls-policy.md); absent before any session. */
  readonly tlsPolicy?: TlsOutcome;
  /** Whether the next hop advertised DSN (RFC 3461): if not, NOTIFY=SUCCESS earns a "relayed" DSN. */
  readonly remoteDsn?: boolean;
  /** The outbound connection that made the attempt (unique per process run), to join log lines. */
  readonly connectionId?: string;
  /** The MX rollup site of the route the attempt used (core siteOf), when routing gave one. */
  readonly site?: string;
}

/** A destination host that routing resolved. */
export interface RouteHost {
  readonly name: string;
  readonly address: string;
  readonly family: 4 | 6;
  readonly preference: number;
  /** Port for this host when it differs from Route.port (gateway entries "host:port"). */
  readonly port?: number;
  /** DANE (RFC 7672) state of this MX host, when `dane = "on"` and the lookup said something. */
  readonly dane?: HostDane;
}

/** One TLSA record (RFC 6698 §2.1): usage, selector, matching type and the association data in hex. */
export interface TlsaRecordData {
  readonly usage: number;
  readonly selector: number;
  readonly matchingType: number;
  /** Certificate association data, lower-case hex. */
  readonly data: string;
}

/**
 * DANE for one MX host (RFC 7672 §2.2): `tlsa` = a validated (AD) TLSA set with at least one usable
 * record, so TLS is mandatory and authenticated by it; `unusable` = a validated TLSA set none of
 * whose records Petrel can use, so TLS is mandatory but unauthenticated; `failure` = the TLSA lookup
 * failed for a host in a signed zone, so the host must not be used (§2.2: defer, never downgrade).
 */
export type HostDane =
  | { readonly kind: 'tlsa'; readonly records: readonly TlsaRecordData[] }
  | { readonly kind: 'unusable'; readonly records: readonly TlsaRecordData[] }
  | { readonly kind: 'failure'; readonly reason: string };

/** An MTA-STS policy (RFC 8461 §3.2) as a route carries it. */
export interface MtaStsRoutePolicy {
  readonly mode: 'enforce' | 'testing';
  /** The policy's `mx` patterns, lower case ("mx.example.com", "*.example.net"). */
  readonly mx: readonly string[];
  /** The policy id from the TXT record it was fetched under. */
  readonly id: string;
  /** The policy text as lines, for TLS-RPT `policy-string` (RFC 8460 §4.3). */
  readonly lines: readonly string[];
}

/** How TLS was decided for a session (docs/tls-policy.md). */
export type TlsPolicyKind = 'none' | 'opportunistic' | 'mta-sts' | 'dane';

/**
 * RFC 8460 §4.3 result types Petrel reports (TLS negotiation, policy discovery and certificate checks).
 */
export type TlsFailureType =
  | 'starttls-not-supported'
  | 'certificate-host-mismatch'
  | 'certificate-expired'
  | 'certificate-not-trusted'
  | 'validation-failure'
  | 'tlsa-invalid'
  | 'dnssec-invalid'
  | 'dane-required'
  | 'sts-policy-fetch-error'
  | 'sts-policy-invalid'
  | 'sts-webpki-invalid';

/** The TLS decision of one session and its result, as delivery records and TLS-RPT counters carry it. */
export interface TlsOutcome {
  readonly policy: TlsPolicyKind;
  /** 'success': TLS was negotiated (and authenticated where the policy asks); 'failure': see failure. */
  readonly result: 'success' | 'failure' | 'plaintext';
  readonly failure?: TlsFailureType;
  /** MTA-STS mode when policy is 'mta-sts'. */
  readonly mode?: 'enforce' | 'testing';
}

/** Where and how to deliver mail for a (binding, domain). */
export type Route =
  | {
      readonly kind: 'hosts';
      /** In the order to try: preference, then random among equals (RFC 5321 §5.1). */
      readonly hosts: readonly RouteHost[];
      readonly port: number;
      /** Address outbound sockets bind to (the binding's bind_address), if set. */
      readonly bindAddress?: string;
      /** The EHLO name of the binding, or EHLO_FROM_SENDER (resolved per connection by outbound). */
      readonly ehloName: string;
      /** True when the hosts come from a configured gateway (smart host), not MX. */
      readonly gateway: boolean;
      /** Credentials for SMTP AUTH to a gateway (RFC 4954), when configured. */
      readonly auth?: { readonly user: string; readonly pass: string };
      /** The destination's MTA-STS policy (RFC 8461), when `mta_sts = "on"` found one (MX routes only). */
      readonly mtaSts?: MtaStsRoutePolicy;
      /** Why MTA-STS discovery failed (TLS-RPT sts-policy-fetch-error / sts-policy-invalid), when it did. */
      readonly mtaStsFailure?: { readonly type: TlsFailureType; readonly detail: string };
      /** MX rollup site: the hosts' names as core's siteOf joins them (docs/shaping.md). */
      readonly site?: string;
    }
  | {
      /** No delivery possible: a DNS failure, null MX, or policy. */
      readonly kind: 'failure';
      readonly permanent: boolean;
      readonly reply: ReplyData;
    };
