/**
 * The hook interface of a policy module: what each hook receives and what it may return. These
 * names are the contract with operators' code (docs/policy.md is the reference); they follow
 * Momentum's validation phases and hooks (reference §2, §10) with camelCase names.
 */
import type { SmtpState } from '@petrel/smtp-client';
import type { ShapingSetRequest, ShapingState } from '@petrel/core';

// ---- shared ----------------------------------------------------------------------------------

/** Where a hook writes its log lines: the daemon's logger with `policy` (module) and `hook` set. */
export interface PolicyLogger {
  info(fields: Record<string, unknown>, message: string): void;
  info(message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  warn(message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
  error(message: string): void;
}

/**
 * A message built in code (Momentum's ec_internal_inject). It goes to the spool, routing and
 * queues like any other, and is logged as a `reception` with protocol `internal`.
 * Give either `raw` (a whole RFC 5322 message) or `subject`/`text` (Petrel builds the message).
 */
export interface InjectMessage {
  /** Envelope sender; "" for the null sender <> (use it for notifications, RFC 5321 §4.5.5). */
  readonly from: string;
  /** Envelope recipients. */
  readonly to: string | readonly string[];
  /** Header fields added to a built message (From/To/Subject/Date/Message-ID are filled in). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly subject?: string;
  /** Plain-text body of a built message; line ends become CRLF. */
  readonly text?: string;
  /** A complete message (headers, blank line, body); line ends become CRLF. */
  readonly raw?: string | Buffer;
}

/** Tools every hook context carries. */
export interface PolicyTools {
  /** The module's file name, as in logs and metrics. */
  readonly module: string;
  readonly log: PolicyLogger;
  /** Stores a new message (see InjectMessage); resolves with its spool id once it is durable. */
  inject(message: InjectMessage): Promise<{ readonly id: string }>;
  /** Traffic shaping states (docs/shaping.md): set, clear and list suspensions, throttles, connection limits. */
  readonly shaping: ShapingTools;
}

/** What a policy module may do to shaping states; what it sets is logged with source `policy`. */
export interface ShapingTools {
  /**
   * Sets (or replaces) a state, e.g. `{ kind: 'throttle', scope: 'domain', domain: 'x.com',
   * rate: { count: 10, perMs: 60000 }, durationMs: 3600000 }`.
   */
  set(state: Omit<ShapingSetRequest, 'source'>): Promise<ShapingState>;
  /** Lifts a state by id; resolves with how many were lifted (0 or 1). */
  clear(id: string): Promise<{ readonly cleared: number }>;
  /** Every state in force. */
  list(): Promise<readonly ShapingState[]>;
}

/** The inbound SMTP session a hook runs in. */
export interface SessionInfo {
  /** Unique per connection; the same id as in the listener's logs. */
  readonly connectionId: string;
  readonly client: { readonly address: string; readonly port: number };
  /** The local address the client connected to. */
  readonly localAddress?: string;
  /** EHLO/HELO argument, once given. */
  readonly helo?: string;
  /** EHLO (true) or HELO (false). */
  readonly esmtp: boolean;
  /** STARTTLS is on. */
  readonly tls: boolean;
  /** The SMTP AUTH user, once authenticated. */
  readonly authUser?: string;
}

/**
 * What an inbound hook returns: nothing to go on, or `{ reply }` to refuse the command with that
 * exact reply, e.g. `{ reply: "550 5.7.1 sender blocked" }` or `{ reply: "451 4.7.1 try later" }`.
 * The reply must fit the phase (see docs/policy.md "Replies"): 4xx or 5xx, with an enhanced status
 * code of the same class (RFC 3463) — optional at connect and ehlo, required after.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a hook without a return statement returns void
export type InboundResult = void | undefined | { readonly reply: string };

/** ESMTP parameters of MAIL or RCPT, upper-cased keyword → value (`true` for a keyword without value). */
export type EsmtpParameters = Readonly<Record<string, string | true>>;

// ---- inbound hooks ---------------------------------------------------------------------------

/**
 * `connect`: a client connected; nothing has been sent yet (Momentum validate_connect). A refusal is sent instead of
 * the banner and the connection is closed.
 */
export interface ConnectContext extends PolicyTools {
  readonly session: SessionInfo;
}

/** `ehlo`: EHLO or HELO with a syntactically valid name (Momentum validate_ehlo). */
export interface EhloContext extends PolicyTools {
  readonly session: SessionInfo;
  /** The name the client gave. */
  readonly helo: string;
  readonly esmtp: boolean;
}

/** `mailFrom`: MAIL FROM that passed Petrel's own checks (Momentum validate_mailfrom). */
export interface MailFromContext extends PolicyTools {
  readonly session: SessionInfo;
  /** "" for the null sender <>. */
  readonly sender: string;
  readonly parameters: EsmtpParameters;
}

/** `rcptTo`: once per recipient that passed Petrel's checks (relay, limits) (Momentum validate_rcptto / each_rcpt). */
export interface RcptToContext extends PolicyTools {
  readonly session: SessionInfo;
  readonly sender: string;
  readonly recipient: string;
  /** The recipient's domain, lower case. */
  readonly domain: string;
  /** Recipients accepted so far in this transaction (not counting this one). */
  readonly accepted: readonly string[];
  readonly parameters: EsmtpParameters;
}

/**
 * The header section of a message, editable. Names are case-insensitive; values are unfolded on
 * read. A value may not contain CR or LF (RFC 5322 §2.2: Petrel folds nothing for you).
 */
export interface HeaderFields {
  /** The first field of this name, unfolded, without the leading space; undefined when absent. */
  get(name: string): string | undefined;
  /** Every field of this name, in order. */
  getAll(name: string): string[];
  has(name: string): boolean;
  /** Adds a field at the end of the header section. */
  add(name: string, value: string): void;
  /** Adds a field at the top (where trace fields go, RFC 5322 §3.6.7). */
  prepend(name: string, value: string): void;
  /** Replaces every field of this name with one (added at the end when there was none). */
  set(name: string, value: string): void;
  /** Removes every field of this name; returns how many there were. */
  remove(name: string): number;
  /** Every field, in order, as [name, unfolded value]. */
  entries(): [string, string][];
}

/**
 * `data`: the whole message is in, before the spool commit (Momentum validate_data /
 * data_spool): read, add, remove or change header fields; what is stored is what is delivered.
 */
export interface DataContext extends PolicyTools {
  readonly session: SessionInfo;
  readonly sender: string;
  readonly recipients: readonly string[];
  readonly headers: HeaderFields;
  /** The body after the header section (not a copy per call: do not modify it). */
  body(): Buffer;
  /** Size of the message as received, octets. */
  readonly size: number;
}

/** A configured DKIM key ([[dkim]] table) as the dkimSign hook sees it. */
export interface DkimKeyInfo {
  readonly domain: string;
  readonly selector: string;
  readonly algorithm: 'rsa-sha256' | 'ed25519-sha256';
}

/**
 * `dkimSign`: which DKIM keys sign this message, after the `data` phase and before the spool
 * commit (docs/dkim.md). Called only when [[dkim]] keys are configured; modules run in order,
 * each seeing the previous one's choice in `keys`.
 */
export interface DkimSignContext extends PolicyTools {
  readonly session: SessionInfo;
  readonly sender: string;
  readonly recipients: readonly string[];
  /** The header section as it will be signed (read-only). */
  readonly headers: Pick<HeaderFields, 'get' | 'getAll' | 'has' | 'entries'>;
  /** The keys chosen so far: by the [[dkim]] tables' `match`, `bindings`, `binding_groups`, then earlier modules. */
  readonly keys: readonly DkimKeyInfo[];
  /** Every configured key. */
  readonly available: readonly DkimKeyInfo[];
}

/**
 * The keys to sign with, each `{ domain, selector }` of a configured key (`[]` = send unsigned),
 * or nothing to keep `keys`.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a hook without a return statement returns void
export type DkimSignResult = void | undefined | readonly { readonly domain: string; readonly selector: string }[];

// ---- routing, queue, outbound ----------------------------------------------------------------

/** A spooled message as routing and delivery hooks see it. */
export interface MessageInfo {
  readonly id: string;
  readonly sender: string;
  readonly recipients: readonly string[];
  /** Epoch ms. */
  readonly receivedAt: number;
  readonly size: number;
  readonly client?: { readonly address: string; readonly helo?: string; readonly authUser?: string };
}

/** `setBinding`: choose the binding of a (message, recipient domain) (Momentum validate_set_binding). */
export interface SetBindingContext extends PolicyTools {
  readonly message: MessageInfo;
  /** The recipient domain being assigned, lower case. */
  readonly domain: string;
  /** The recipients of the message in this domain. */
  readonly recipients: readonly string[];
}

/**
 * Return a binding or a binding group (a weighted pick among its non-suspended bindings), or nothing for the configured
 * rules.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a hook without a return statement returns void
export type SetBindingResult = void | undefined | { readonly binding: string } | { readonly bindingGroup: string };

/** `connectionGoal`: how many connections a (binding, domain) queue wants (Momentum connection_goal). Synchronous. */
export interface ConnectionGoalContext extends PolicyTools {
  readonly binding: string;
  readonly domain: string;
  /** Jobs in the active queue. */
  readonly active: number;
  /** Jobs handed to connections and not yet reported. */
  readonly inFlight: number;
  readonly maxOutboundConnections: number;
  readonly aggressiveness: 'normal' | 'high';
  /** What Petrel's default curve would answer. */
  readonly defaultGoal: number;
}

/** `beforeDelivery`: once per message per delivery attempt, after the body is read. */
export interface BeforeDeliveryContext extends PolicyTools {
  readonly message: MessageInfo;
  readonly binding: string;
  readonly domain: string;
  /** The recipients of this attempt. */
  readonly recipients: readonly string[];
  /** The message's header fields as stored (read-only: add fields through the result). */
  readonly headers: Pick<HeaderFields, 'get' | 'getAll' | 'has' | 'entries'>;
}

/** What `beforeDelivery` may add (Momentum smtp_client_args_add and header edits at delivery). */
export interface BeforeDeliveryResult {
  /** Header fields prepended to the message for this attempt. */
  readonly headers?: Readonly<Record<string, string>>;
  /** MAIL FROM parameters, e.g. `{ "XVERP": true }` → `XVERP`, `{ "MT-PRIORITY": "3" }` → `MT-PRIORITY=3`. */
  readonly mailParameters?: EsmtpParameters;
  /** Parameters added to every RCPT TO of the attempt. */
  readonly rcptParameters?: EsmtpParameters;
}

/**
 * `clientStates`: called once when the module set loads; registers SMTP client states (Momentum
 * register_smtp_client_state).
 */
export interface ClientStatesContext extends PolicyTools {
  /** Inserts `state` after the named built-in or custom state (see docs/smtp-client.md). */
  register(state: SmtpState, options: { readonly after: string }): void;
}

// ---- bounces ---------------------------------------------------------------------------------

/**
 * `classify`: a reply was classified by the rules; return a class code to override (Momentum smtp_error_classify).
 * Synchronous.
 */
export interface ClassifyContext extends PolicyTools {
  readonly reply: { readonly code: number; readonly enhanced?: string; readonly text: string };
  readonly domain: string;
  /** The rules' answer. */
  readonly bounceClass: number;
  readonly bounceClassName: string;
}

// ---- observers -------------------------------------------------------------------------------

/** A message was received (any protocol, `internal` for DSNs and inject()). */
export interface ReceptionEvent extends PolicyTools {
  readonly message: MessageInfo;
  readonly protocol: string;
}

/** One recipient's delivery attempt outcome. */
export interface DeliveryEvent extends PolicyTools {
  readonly messageId: string;
  readonly sender: string;
  readonly recipient: string;
  readonly binding: string;
  readonly domain: string;
  readonly reply: { readonly code: number; readonly enhanced?: string; readonly text: string };
  readonly remote?: { readonly host: string; readonly ip: string };
  /** Why a permanent failure happened without a remote reply ("expiration", "policy"); absent otherwise. */
  readonly reason?: string;
}

/** A DSN was generated. */
export interface BounceEvent extends PolicyTools {
  readonly dsnId: string;
  readonly messageId: string;
  readonly action: 'failed' | 'delayed' | 'relayed';
  readonly recipients: readonly { readonly address: string; readonly bounceClass: number; readonly reply: string }[];
}

/** The listener refused a command or a message. */
export interface RejectionEvent extends PolicyTools {
  /** Momentum server phase name, e.g. "awaiting rcptto". */
  readonly phase: string;
  readonly reply: string;
  readonly client: { readonly address: string; readonly port: number };
  readonly sender?: string;
  readonly recipient?: string;
  readonly connectionId: string;
}

type Maybe<T> = T | Promise<T>;

/**
 * A policy module's default export: every hook is optional. Unknown names are refused at load.
 * Async hooks have a time limit (the module's `timeout`, default 5 s); `connectionGoal`,
 * `classify` and `clientStates` are synchronous.
 */
export interface Policy {
  connect?(ctx: ConnectContext): Maybe<InboundResult>;
  ehlo?(ctx: EhloContext): Maybe<InboundResult>;
  mailFrom?(ctx: MailFromContext): Maybe<InboundResult>;
  rcptTo?(ctx: RcptToContext): Maybe<InboundResult>;
  data?(ctx: DataContext): Maybe<InboundResult>;
  dkimSign?(ctx: DkimSignContext): Maybe<DkimSignResult>;
  setBinding?(ctx: SetBindingContext): Maybe<SetBindingResult>;
  // biome-ignore lint/suspicious/noConfusingVoidType: a hook without a return statement returns void
  connectionGoal?(ctx: ConnectionGoalContext): number | undefined | void;
  // biome-ignore lint/suspicious/noConfusingVoidType: a hook without a return statement returns void
  beforeDelivery?(ctx: BeforeDeliveryContext): Maybe<BeforeDeliveryResult | undefined | void>;
  clientStates?(ctx: ClientStatesContext): void;
  // biome-ignore lint/suspicious/noConfusingVoidType: a hook without a return statement returns void
  classify?(ctx: ClassifyContext): number | undefined | void;
  onReception?(ev: ReceptionEvent): Maybe<void>;
  onDelivery?(ev: DeliveryEvent): Maybe<void>;
  onTransientFailure?(ev: DeliveryEvent): Maybe<void>;
  onPermanentFailure?(ev: DeliveryEvent): Maybe<void>;
  onBounce?(ev: BounceEvent): Maybe<void>;
  onRejection?(ev: RejectionEvent): Maybe<void>;
}

export type HookName = keyof Policy;
