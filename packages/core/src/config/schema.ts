/**
 * The configuration schema as data: every key with its type, default, scopes and meaning.
 * The loader validates against it and docs/configuration.md is generated from it, so the
 * two cannot drift. Option names and defaults follow Momentum (shared reference §3).
 */
import type { KeyObject } from 'node:crypto';
import { hostname } from 'node:os';
import type { WarmupConfig } from '../shaping.js';

export type OptionType =
  | 'string'
  | 'integer'
  | 'boolean'
  | 'duration'
  | 'size'
  | 'rate'
  | 'retries'
  | 'enum'
  | 'string[]'
  | 'address[]'
  | 'network[]'
  | 'class[]'
  | 'warmup[]';

export interface OptionSpec {
  readonly type: OptionType;
  readonly default: unknown;
  readonly doc: string;
  readonly values?: readonly string[];
  /**
   * Lower bound: the value for integers and sizes (octets), milliseconds for durations. Omitted where 0 has a
   * documented meaning.
   */
  readonly min?: number;
  /** Example value as written in TOML, for the generated reference. */
  readonly example?: string;
  /**
   * A file path ('string' or 'string[]'): a relative one is made absolute against the config file's directory at load.
   */
  readonly path?: boolean;
}

/** Scopes of a delivery option (Momentum: g bg b d; Petrel adds the (binding, domain) nesting). */
export type ScopeKind = 'global' | 'binding_group' | 'binding' | 'domain';

export interface DeliveryOptionSpec extends OptionSpec {
  readonly scopes: readonly ScopeKind[];
}

const ALL4: readonly ScopeKind[] = ['global', 'binding_group', 'binding', 'domain'];

/** Delivery options: settable in [global], [domain."d"], bindings, binding groups and their domain tables. */
export const DELIVERY_OPTIONS = {
  remote_port: {
    type: 'integer',
    default: 25,
    min: 1,
    scopes: ALL4,
    doc: 'Destination SMTP port (Momentum remote_smtp_port).',
    example: '25',
  },
  max_outbound_connections: {
    type: 'integer',
    default: 32,
    min: 1,
    scopes: ALL4,
    doc: 'Concurrent connections per (binding, domain).',
    example: '32',
  },
  max_deliveries_per_connection: {
    type: 'integer',
    default: 0,
    min: 0,
    scopes: ALL4,
    doc: 'Close a connection after this many successful deliveries; 0 = no limit.',
    example: '0',
  },
  max_recipients_per_batch: {
    type: 'integer',
    default: 100,
    min: 1,
    scopes: ALL4,
    doc: 'RCPTs per transaction; a message with more recipients of one domain is sent in several transactions.',
    example: '100',
  },
  retry_interval: {
    type: 'duration',
    default: 1_200_000,
    min: 1000,
    scopes: ALL4,
    doc: 'Back-off base: the wait after the n-th transient failure is retry_interval × 2^(n−1).',
    example: '"20m"',
  },
  max_retry_interval: {
    type: 'duration',
    default: 43_200_000,
    min: 1000,
    scopes: ALL4,
    doc: 'Cap on the back-off wait.',
    example: '"12h"',
  },
  max_retries: {
    type: 'retries',
    default: 'auto',
    scopes: ALL4,
    doc: '"auto" (limit from message_expiration), "none" (only expiry ends retries) or an integer.',
    example: '"auto"',
  },
  message_expiration: {
    type: 'duration',
    default: 432_000_000,
    min: 1000,
    scopes: ALL4,
    doc:
      'Time to live from reception; then the message fails with 554 5.4.7. Default 5 days (RFC 5321 §4.5.4.1: ' +
      'give up after 4–5 days).',
    example: '"5d"',
  },
  never_retry: {
    type: 'boolean',
    default: false,
    scopes: ALL4,
    doc: 'The first transient failure is final.',
    example: 'false',
  },
  delayed_binding_domain_fuzz: {
    type: 'duration',
    default: 0,
    scopes: ALL4,
    doc:
      'Spreads a bulk requeue: each retry wait gets a random extra of up to this much (Momentum ' +
      'delayed_binding_domain_fuzz). 0 = the exact schedule.',
    example: '"64s"',
  },
  max_resident_active_queue: {
    type: 'integer',
    default: 250,
    min: 0,
    scopes: ALL4,
    doc:
      'Jobs of one (binding, domain) queue kept in memory (active + delayed + in flight); the rest wait in the ' +
      'swap file in the spool directory and are paged in by next-attempt time as the queue drains (Momentum ' +
      'max_resident_active_queue). 0 = no limit.',
    example: '250',
  },
  suspend_delivery: {
    type: 'boolean',
    default: false,
    scopes: ALL4,
    doc: 'Hold mail in this scope: it stays queued and is counted, nothing is delivered.',
    example: 'false',
  },
  connection_allocation_aggressiveness: {
    type: 'enum',
    values: ['normal', 'high'],
    default: 'normal',
    scopes: ALL4,
    doc: 'How fast the connection goal climbs with the active queue size.',
    example: '"normal"',
  },
  outbound_throttle_messages: {
    type: 'rate',
    default: undefined,
    scopes: ALL4,
    doc: '"N" messages per second or "N/S" per S; one token bucket per defining scope, shared by narrower scopes.',
    example: '"100/60"',
  },
  outbound_throttle_connections: {
    type: 'rate',
    default: undefined,
    scopes: ALL4,
    doc: 'Connection-open rate, same syntax and sharing as outbound_throttle_messages.',
    example: '"10"',
  },
  connect_timeout: {
    type: 'duration',
    default: 300_000,
    min: 100,
    scopes: ALL4,
    doc: 'TCP connect timeout.',
    example: '"5m"',
  },
  banner_timeout: {
    type: 'duration',
    default: 300_000,
    min: 100,
    scopes: ALL4,
    doc: 'Wait for the 220 greeting (RFC 5321 §4.5.3.2.1: 5 min).',
    example: '"5m"',
  },
  ehlo_timeout: {
    type: 'duration',
    default: 300_000,
    min: 100,
    scopes: ALL4,
    doc: 'Wait for the EHLO/HELO reply.',
    example: '"5m"',
  },
  mailfrom_timeout: {
    type: 'duration',
    default: 300_000,
    min: 100,
    scopes: ALL4,
    doc: 'Wait for the MAIL reply (RFC 5321 §4.5.3.2.2: 5 min).',
    example: '"5m"',
  },
  rcptto_timeout: {
    type: 'duration',
    default: 300_000,
    min: 100,
    scopes: ALL4,
    doc: 'Wait for each RCPT reply (RFC 5321 §4.5.3.2.3: 5 min).',
    example: '"5m"',
  },
  data_timeout: {
    type: 'duration',
    default: 120_000,
    min: 100,
    scopes: ALL4,
    doc: 'Wait for the 354 after DATA (RFC 5321 §4.5.3.2.4: 2 min).',
    example: '"2m"',
  },
  data_block_timeout: {
    type: 'duration',
    default: 180_000,
    min: 100,
    scopes: ALL4,
    doc: 'Each body write must drain within this (RFC 5321 §4.5.3.2.5: 3 min).',
    example: '"3m"',
  },
  body_timeout: {
    type: 'duration',
    default: 600_000,
    min: 100,
    scopes: ALL4,
    doc: 'Wait for the reply after CRLF.CRLF (RFC 5321 §4.5.3.2.6: 10 min).',
    example: '"10m"',
  },
  rset_timeout: {
    type: 'duration',
    default: 30_000,
    min: 100,
    scopes: ALL4,
    doc: 'Wait for the RSET reply.',
    example: '"30s"',
  },
  idle_timeout: {
    type: 'duration',
    default: 5_000,
    scopes: ALL4,
    doc: 'Keep an idle outbound connection this long for more mail to the same destination.',
    example: '"5s"',
  },
  tls: {
    type: 'enum',
    values: ['no', 'ifavailable', 'required'],
    default: 'ifavailable',
    scopes: ALL4,
    doc: 'STARTTLS policy: never, opportunistic, or required.',
    example: '"ifavailable"',
  },
  tls_verify: {
    type: 'enum',
    values: ['no', 'ca', 'host'],
    default: 'no',
    scopes: ALL4,
    doc: 'Certificate check: none, CA chain, CA chain and host name.',
    example: '"no"',
  },
  tls_ifavailable_fallback: {
    type: 'boolean',
    default: true,
    scopes: ALL4,
    doc: 'Under tls = "ifavailable", a failed handshake falls back to plaintext at once (true) or defers (false).',
    example: 'true',
  },
  mta_sts: {
    type: 'enum',
    values: ['on', 'off'],
    default: 'on',
    scopes: ALL4,
    doc:
      'MTA-STS (RFC 8461) for MX deliveries: look up _mta-sts.<domain>, fetch and cache its policy, and under ' +
      '"enforce" deliver only over TLS to MX hosts the policy names with a valid certificate (failures defer with ' +
      '4.7.x). DANE wins where both apply (docs/tls-policy.md).',
    example: '"on"',
  },
  dane: {
    type: 'enum',
    values: ['on', 'off'],
    default: 'off',
    scopes: ALL4,
    doc:
      'DANE (RFC 7672) for MX deliveries: TLSA lookups of _25._tcp.<mx host>, trusted only with the AD bit of a ' +
      'validating resolver in [dns] servers; usable records make TLS mandatory and authenticated by them. Needs a ' +
      'DNSSEC-validating resolver, hence off by default (docs/tls-policy.md).',
    example: '"on"',
  },
  use_chunking: {
    type: 'boolean',
    default: true,
    scopes: ALL4,
    doc:
      'Send the body with BDAT (RFC 3030) when the server advertises CHUNKING; BODY=BINARYMIME is only possible ' +
      'with it.',
    example: 'true',
  },
  transform_8bitmime_content: {
    type: 'enum',
    values: ['no', 'ifneeded', 'strict'],
    default: 'ifneeded',
    scopes: ALL4,
    doc:
      'An 8-bit body to a server without 8BITMIME: "no" sends it as is, "ifneeded" re-encodes 8-bit MIME parts ' +
      'as quoted-printable, "strict" does so and fails the message (554 5.6.3) if 8-bit octets remain (e.g. in ' +
      'headers).',
    example: '"ifneeded"',
  },
  trace_file: {
    type: 'string',
    path: true,
    default: undefined,
    scopes: ALL4,
    doc:
      "Opt-in transcript: append every SMTP line of this scope's outbound sessions to this file (AUTH secrets " +
      "masked). Set it in a binding's domain table to trace one (binding, domain). Relative to the config file.",
    example: '"/var/log/petrel/trace-example.com.log"',
  },
  gateway: {
    type: 'string[]',
    default: [],
    scopes: ALL4,
    doc: 'Smart hosts ("host", "host:port", "[v6]:port") used instead of MX lookup, in order.',
    example: '["smart.example:587"]',
  },
  routes: {
    type: 'string[]',
    default: [],
    scopes: ['global', 'domain'],
    doc:
      'Ordered next hops used instead of the plain MX lookup (Momentum routes). "__mx__" = the recipient ' +
      "domain's MX hosts, with the usual MX rules (implicit MX, null MX). " +
      '"smtp://host[:port][?pref=N&port=N&ttl=N&type=mx]" = a host: by default (type=a) its A/AAAA addresses, an ' +
      'IP literal as is; with type=mx the MX hosts of that domain name. port overrides remote_port for the ' +
      'entry. Entries are tried in listed order, stably sorted by pref when given (an entry without pref counts ' +
      'as 0); an entry that yields no address is skipped, and only when every entry fails does the route fail, ' +
      'with the reply the MX lookup would give. ttl is accepted and ignored (routes are re-read on every ' +
      "resolution). One table may not set both routes and gateway; across scopes the narrower scope's one wins.",
    example: '["smtp://192.0.2.10?pref=10&port=2525", "__mx__"]',
  },
  generate_bounces: {
    type: 'boolean',
    default: true,
    scopes: ALL4,
    doc: 'A permanent failure after reception sends a DSN to the sender.',
    example: 'true',
  },
  bounces_inline_original: {
    type: 'enum',
    values: ['none', 'headers', 'all'],
    default: 'headers',
    scopes: ALL4,
    doc:
      'What a DSN carries of the original when the sender gave no RET (RFC 3461 §4.3): nothing, its headers ' +
      '(text/rfc822-headers) or all of it (message/rfc822). RET=HDRS/FULL wins, except over "none".',
    example: '"headers"',
  },
  verp_domain: {
    type: 'string',
    default: '',
    scopes: ALL4,
    doc:
      'Send with a VERP envelope sender at this return-path domain (one of [bounce] return_path_domains), one ' +
      'recipient per transaction, so a bounce names its message and recipient (docs/feedback-loop.md). Empty = keep ' +
      "the sender's own return path. Mail from <> is never rewritten.",
    example: '"rp.example.com"',
  },
  mailerdaemon: {
    type: 'string',
    default: '',
    scopes: ALL4,
    doc:
      'From: address of DSNs; empty = "MAILER-DAEMON@" + hostname. The envelope sender of a DSN is always <> ' +
      '(RFC 5321 §4.5.5).',
    example: '"postmaster@example.com"',
  },
  generate_delay_dsn: {
    type: 'boolean',
    default: false,
    scopes: ALL4,
    doc:
      'Send "delayed" DSNs (RFC 3464 Action: delayed) on the delay_dsn_retry_interval schedule to recipients ' +
      'that asked for NOTIFY=DELAY or gave no NOTIFY.',
    example: 'false',
  },
  delay_dsn_retry_interval: {
    type: 'duration',
    default: 3_600_000,
    scopes: ALL4,
    doc:
      'Delay-DSN schedule, counted from reception: the first notice once a message has been undelivered this ' +
      'long, the next ones after 2×, 4×, … this interval (capped by delay_dsn_max_retry_interval); each goes out ' +
      'with the first deferral at or after its point. With the defaults: 1h, 3h, 7h, 15h, then every 12h. 0 = a ' +
      'notice at every deferral.',
    example: '"1h"',
  },
  delay_dsn_max_retry_interval: {
    type: 'duration',
    default: 43_200_000,
    min: 1000,
    scopes: ALL4,
    doc:
      'Cap on the gap between two delay-DSN points (a value below delay_dsn_retry_interval counts as ' +
      'delay_dsn_retry_interval).',
    example: '"12h"',
  },
  ehlo_hostname: {
    type: 'string',
    default: '__hostname__',
    scopes: ALL4,
    doc:
      'EHLO name: "__hostname__" (the hostname key), "__message__" (the envelope sender domain of each ' +
      "connection's first message; the hostname for <>) or a literal.",
    example: '"mta1.example.com"',
  },
  gateway_auth_user: {
    type: 'string',
    default: undefined,
    scopes: ALL4,
    doc: 'User name for SMTP AUTH (RFC 4954) to the gateway hosts; used only with gateway.',
    example: '"relay-user"',
  },
  gateway_auth_password: {
    type: 'string',
    default: undefined,
    scopes: ALL4,
    doc: 'Password for SMTP AUTH to the gateway hosts; Petrel warns at start when the config file is world-readable.',
    example: '"secret"',
  },
  prohibited_hosts: {
    type: 'network[]',
    default: [],
    scopes: ['global', 'domain'],
    doc:
      'Destination addresses or networks (CIDR) never delivered to; a route whose every host is prohibited fails ' +
      'with 551 5.4.6.',
    example: '["10.0.0.0/8", "192.168.0.0/16"]',
  },
  use_ipv6: {
    type: 'boolean',
    default: false,
    scopes: ['global', 'domain'],
    doc:
      'Consider IPv6 (AAAA) addresses of destination hosts when the binding has no bind_address (a binding with ' +
      'an IPv6 bind_address always uses IPv6).',
    example: 'false',
  },
  prefer_ipv6: {
    type: 'boolean',
    default: false,
    scopes: ['global', 'domain'],
    doc: 'With use_ipv6, try IPv6 addresses before IPv4 ones within a preference level (Momentum prefer_ipv6_mxs).',
    example: 'false',
  },
} as const satisfies Record<string, DeliveryOptionSpec>;

export type DeliveryOptionName = keyof typeof DELIVERY_OPTIONS;

/** Keys that only bindings (and [global], for the implicit default binding) take. */
export const BINDING_KEYS = {
  bind_address: {
    type: 'string',
    default: undefined,
    doc: 'Source address for outbound connections (IPv4 or IPv6); unset = the kernel chooses.',
    example: '"127.0.0.2"',
  },
  weight: {
    type: 'integer',
    default: 1,
    min: 0,
    doc:
      "Relative share of new mail when a binding_rule assigns the binding's group (weighted random among its " +
      'non-suspended bindings); 0 = never picked.',
    example: '1',
  },
} as const satisfies Record<string, OptionSpec>;

/** Top-level keys. */
export const ROOT_KEYS = {
  hostname: {
    type: 'string',
    default: hostname(),
    doc: "This MTA's name: greeting banner, EHLO, Received headers, DSN Reporting-MTA.",
    example: '"mta1.example.com"',
  },
  spool_dir: {
    type: 'string',
    default: 'spool',
    doc: "Spool directory; relative paths are relative to the config file's directory.",
    example: '"/var/spool/petrel"',
  },
  log_dir: {
    type: 'string',
    default: 'log',
    doc: "Directory of events.jsonl; relative paths are relative to the config file's directory.",
    example: '"/var/log/petrel"',
  },
  log_level: {
    type: 'enum',
    values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace'],
    default: 'info',
    doc: 'Operator log (stderr) level.',
    example: '"info"',
  },
  watchdog_timeout: {
    type: 'duration',
    default: 60_000,
    doc:
      'Event-loop watchdog: when the main thread has not run for this long (e.g. a synchronous infinite loop in ' +
      'a policy hook), a watchdog thread logs one line on stderr and kills the process with SIGKILL so that its ' +
      'supervisor restarts it; nothing acknowledged is lost (250 comes after fsync). 0 = no watchdog. See ' +
      'docs/policy.md.',
    example: '"60s"',
  },
  max_resident_messages: {
    type: 'integer',
    default: 32768,
    min: 0,
    doc:
      'Jobs kept in memory by all queues together; beyond it new jobs wait in the swap file and queues are paged ' +
      'in round-robin as others drain (Momentum max_resident_messages). 0 = no limit.',
    example: '32768',
  },
  stop_timeout: {
    type: 'duration',
    default: 30_000,
    doc:
      'On stop (SIGTERM, `petrel stop`): how long inbound DATA and outbound transactions in flight may take to ' +
      'finish before their connections are dropped. Unfinished inbound mail was never acknowledged; unfinished ' +
      'deliveries are retried after restart.',
    example: '"30s"',
  },
} as const satisfies Record<string, OptionSpec>;

export const LISTENER_KEYS = {
  listen: {
    type: 'address[]',
    default: ['127.0.0.1:2525'],
    doc:
      'Addresses to accept SMTP on, "host:port" or "[v6]:port". Routing never delivers to these (0.0.0.0 / :: = ' +
      'any local address, same port): a route whose every host is one of them fails with 554 5.4.6 "loops back ' +
      'to myself" (RFC 5321 §6.3).',
    example: '["127.0.0.1:2525"]',
  },
  relay_networks: {
    type: 'network[]',
    default: ['127.0.0.0/8'],
    doc: 'Client networks (CIDR) allowed to relay; others get 554 5.7.1.',
    example: '["127.0.0.0/8", "::1/128"]',
  },
  allow_open_relay: {
    type: 'boolean',
    default: false,
    doc:
      'Allow relay_networks that cover every IPv4 or IPv6 address (e.g. "0.0.0.0/0") on a non-loopback listen ' +
      'address: an open relay. Without it such a config is refused; with it Petrel warns at start and in `petrel ' +
      'config check`.',
    example: 'false',
  },
  max_message_size: {
    type: 'size',
    default: 26_214_400,
    min: 1,
    doc: 'Largest message accepted (advertised as SIZE); larger ones get 552 5.3.4.',
    example: '"25MB"',
  },
  max_recipients: {
    type: 'integer',
    default: 100,
    min: 1,
    doc: 'Recipients per message; more get 452 4.5.3 (RFC 5321 §4.5.3.1.8 asks for at least 100).',
    example: '100',
  },
  max_connections: {
    type: 'integer',
    default: 2000,
    min: 1,
    doc: 'Concurrent inbound connections; more get 421 4.7.0.',
    example: '2000',
  },
  idle_timeout: {
    type: 'duration',
    default: 300_000,
    min: 100,
    doc: 'Close a client that sends nothing this long (RFC 5321 §4.5.3.2.7: 5 min).',
    example: '"5m"',
  },
  trace_header: {
    type: 'boolean',
    default: true,
    doc: 'Prepend a Received: trace header (RFC 5321 §4.4).',
    example: 'true',
  },
  tls_certificate: {
    type: 'string',
    path: true,
    default: undefined,
    doc:
      'PEM certificate (chain) for STARTTLS (RFC 3207); with tls_key it enables STARTTLS. Relative to the config ' +
      'file. Re-read on SIGHUP.',
    example: '"/etc/petrel/tls/cert.pem"',
  },
  tls_key: {
    type: 'string',
    path: true,
    default: undefined,
    doc: 'PEM private key for tls_certificate. Relative to the config file. Re-read on SIGHUP.',
    example: '"/etc/petrel/tls/key.pem"',
  },
  auth_users_file: {
    type: 'string',
    path: true,
    default: undefined,
    doc:
      'SMTP AUTH (PLAIN, LOGIN; RFC 4954) users, one "user:scrypt$N$r$p$salt$hash" or "user:$2b$…" (bcrypt) line ' +
      'each (see packages/listener/README.md); unset = no AUTH. Re-read on SIGHUP.',
    example: '"/etc/petrel/users"',
  },
  auth_allow_plaintext: {
    type: 'boolean',
    default: false,
    doc: 'Offer AUTH before STARTTLS (otherwise 538 5.7.11 until TLS is on).',
    example: 'false',
  },
  auth_max_failures: {
    type: 'integer',
    default: 5,
    min: 1,
    doc:
      'AUTH failures per client IP within auth_failure_window before AUTH from that IP gets 421 4.7.0 and a ' +
      'disconnect. Password checks still running count too, so parallel connections cannot check more passwords ' +
      'than this.',
    example: '5',
  },
  auth_failure_window: {
    type: 'duration',
    default: 300_000,
    min: 1000,
    doc: 'Window over which auth_max_failures counts.',
    example: '"5m"',
  },
  max_connections_per_ip: {
    type: 'integer',
    default: 50,
    min: 1,
    doc:
      'Concurrent inbound connections per client IP; more get 421 4.7.0 (Postfix ' +
      'smtpd_client_connection_count_limit).',
    example: '50',
  },
  max_errors: {
    type: 'integer',
    default: 20,
    min: 1,
    doc:
      'Error replies (bad commands, refusals) in one session before 421 4.7.0 and a disconnect (Postfix ' +
      'smtpd_hard_error_limit).',
    example: '20',
  },
  bare_newline: {
    type: 'enum',
    values: ['refuse', 'normalize'],
    default: 'refuse',
    doc:
      'A bare LF (RFC 5321 §2.3.8): "refuse" answers 500/554 5.5.2 (no SMTP smuggling); "normalize" (Postfix ' +
      'smtpd_forbid_bare_newline = normalize, for legacy senders) reads it as a line end in commands and stores ' +
      'it as CRLF in DATA, while the data still ends only at <CRLF>.<CRLF>. A bare CR and BDAT chunks are ' +
      'refused either way.',
    example: '"refuse"',
  },
  junk_command_limit: {
    type: 'integer',
    default: 100,
    min: 1,
    doc:
      'NOOP, RSET and VRFY commands in one session before each further one counts as an error towards max_errors ' +
      '(Postfix smtpd_junk_command_limit): a client cannot hold a session open with them forever.',
    example: '100',
  },
  recipient_overshoot_limit: {
    type: 'integer',
    default: 1000,
    min: 0,
    doc:
      'RCPTs in one transaction refused with 452 4.5.3 past max_recipients before each further one counts as an ' +
      'error towards max_errors (Postfix smtpd_recipient_overshoot_limit): a client cannot send recipients ' +
      'forever.',
    example: '1000',
  },
  hopcount_limit: {
    type: 'integer',
    default: 50,
    min: 1,
    doc:
      'Received: headers a message may carry in its header section; a message with more is refused at the end of ' +
      'DATA or BDAT LAST with 554 5.4.6 as a mail loop (RFC 5321 §6.3; Postfix hopcount_limit). Delivered-To: ' +
      'does not count, and neither does the Received: Petrel adds.',
    example: '50',
  },
  greeting_delay: {
    type: 'duration',
    default: 0,
    doc:
      'Wait this long before the 220 greeting; a client that talks first gets 554 5.5.1 and is dropped ' +
      '(early-talker check). 0 = greet at once.',
    example: '"0s"',
  },
  add_missing_headers: {
    type: 'boolean',
    default: true,
    doc: 'Add Message-ID: and Date: when a message has none (RFC 5322 §3.6.1, §3.6.4).',
    example: 'true',
  },
  local_domains: {
    type: 'string[]',
    default: [],
    doc:
      'Domains this host would receive for. Petrel is outbound only: RCPT to them gets 550 5.1.2, and MAIL FROM ' +
      'in them needs relay_networks or AUTH.',
    example: '["example.com"]',
  },
} as const satisfies Record<string, OptionSpec>;

export const DNS_KEYS = {
  servers: {
    type: 'address[]',
    default: [],
    doc: 'DNS servers "ip" or "ip:port"; empty = the system resolver. Tests always set one.',
    example: '["127.0.0.1:5353"]',
  },
  timeout: { type: 'duration', default: 5_000, min: 100, doc: 'Per-query timeout.', example: '"5s"' },
  tries: { type: 'integer', default: 2, min: 1, doc: 'Tries per query before a transient failure.', example: '2' },
} as const satisfies Record<string, OptionSpec>;

export const BOUNCE_KEYS = {
  classify: {
    type: 'boolean',
    default: true,
    doc: 'Classify replies into Momentum bounce classes; false = every reply is 1 Undetermined.',
    example: 'true',
  },
  rules_files: {
    type: 'string[]',
    path: true,
    default: [],
    doc:
      'Classification rule files (TOML, docs/bounces.md); empty = the shipped config/bounce-rules.toml. Relative ' +
      'to the config file.',
    example: '["bounce-rules.toml"]',
  },
  override_files: {
    type: 'string[]',
    path: true,
    default: [],
    doc:
      'Operator override files in Momentum\'s "domain,code,rule" form, tried before the rules. Relative to the ' +
      'config file.',
    example: '["user_smtp_classification.ovr"]',
  },
  classes: {
    type: 'class[]',
    default: [],
    doc:
      'Operator bounce classes (Momentum custom_classes), usable by rule and override files: [[bounce.classes]] ' +
      'tables (or inline tables) with code (a whole number 2–99 that no built-in class uses, unique), name, ' +
      'optional description and category (Undetermined, Hard, Soft, Block, Admin; default Undetermined).',
    example: '[{ code = 55, name = "Partner Block", category = "Block" }]',
  },
  return_path_domains: {
    type: 'string[]',
    default: [],
    doc:
      'Domains that receive bounces, auto-replies and complaints (docs/feedback-loop.md). RCPT to them is accepted ' +
      'from any client (like a local domain, not relaying); the mail is never relayed but parsed into out_of_band, ' +
      'feedback or unparsed_report records. The VERP envelope senders of verp_domain use one of them.',
    example: '["rp.example.com"]',
  },
  verp_prefix: {
    type: 'string',
    default: 'b',
    doc: 'Local-part prefix of VERP envelope senders: <prefix>+<message id>[+<tag>]+<local>=<domain>@<verp_domain>.',
    example: '"b"',
  },
  verp_secret: {
    type: 'string',
    default: '',
    doc:
      'HMAC key of the VERP tag, so that a forged bounce cannot suppress an address; empty = no tag, and any VERP ' +
      'address is believed. Changing it invalidates the tags of mail already sent.',
    example: '"long-random-string"',
  },
  suppress_hard_failures: {
    type: 'boolean',
    default: true,
    doc: 'Add a recipient to the suppression list when a delivery fails permanently with a hard class (10, 30, 90).',
    example: 'true',
  },
  suppress_out_of_band: {
    type: 'boolean',
    default: true,
    doc: 'Add a recipient to the suppression list for an out-of-band bounce (Action: failed) of a hard class.',
    example: 'true',
  },
  suppress_complaints: {
    type: 'boolean',
    default: true,
    doc: 'Add a recipient to the suppression list for an RFC 5965 complaint (any Feedback-Type except not-spam).',
    example: 'true',
  },
  suppression_action: {
    type: 'enum',
    values: ['refuse', 'accept_and_fail'],
    default: 'refuse',
    doc:
      'A suppressed recipient: "refuse" answers RCPT with 550 5.7.1 <addr>: recipient suppressed; "accept_and_fail" ' +
      'accepts it and fails it at once as class 25 Admin Failure (a permanent_failure record, no delivery, no DSN).',
    example: '"refuse"',
  },
  unparsed_dir: {
    type: 'string',
    path: true,
    default: '',
    doc:
      'Directory where mail to a return-path domain that cannot be parsed is kept (one .eml file each, fsynced ' +
      'before the 250); empty = <spool_dir>/unparsed. Relative to the config file.',
    example: '"/var/spool/petrel/unparsed"',
  },
} as const satisfies Record<string, OptionSpec>;

export const EVENTLOG_KEYS = {
  mainlog: {
    type: 'boolean',
    default: false,
    doc: 'Also write Momentum\'s mainlog (R, D, T, P, M records, "@"-separated) to <log_dir>/mainlog.',
    example: 'true',
  },
  bouncelog: {
    type: 'boolean',
    default: false,
    doc: "Also write Momentum's bouncelog (B records with stage and bounce class) to <log_dir>/bouncelog.",
    example: 'true',
  },
  rejectlog: {
    type: 'boolean',
    default: false,
    doc: "Also write Momentum's rejectlog to <log_dir>/rejectlog.",
    example: 'true',
  },
  heartbeat: {
    type: 'duration',
    default: 60_000,
    min: 1000,
    doc: 'Interval of the M heartbeat record in mainlog and bouncelog.',
    example: '"60s"',
  },
} as const satisfies Record<string, OptionSpec>;

export const CONTROL_KEYS = {
  socket: {
    type: 'string',
    default: 'control.sock',
    doc: 'Unix socket of the control API (mode 0600: only the owner can manage the MTA); relative to spool_dir.',
    example: '"/run/petrel/control.sock"',
  },
  listen: {
    type: 'string',
    default: '',
    doc: 'Optional TCP address of the control API, loopback only ("127.0.0.1:2026"); requires token. Empty = none.',
    example: '"127.0.0.1:2026"',
  },
  token: {
    type: 'string',
    default: '',
    doc: 'Bearer token required on the TCP control address (Authorization: Bearer …).',
    example: '"change-me"',
  },
} as const satisfies Record<string, OptionSpec>;

/** [routing] keys. */
export const ROUTING_KEYS = {
  allow_binding_header: {
    type: 'boolean',
    default: false,
    doc:
      'Allow [[binding_rule]] header rules: the X-Binding / X-Binding-Group header of a message names its ' +
      'binding or group; the header is removed before delivery.',
    example: 'false',
  },
} as const satisfies Record<string, OptionSpec>;

/**
 * Keys of one [[binding_rule]] table. Rules are tried in order, the first that matches wins;
 * every match key given must match (none = matches everything). The result is `binding` or
 * `binding_group`; a `header` rule takes its result from the header's value instead.
 */
export const BINDING_RULE_KEYS = {
  recipient_domain: {
    type: 'string',
    default: undefined,
    doc: 'Recipient domain, exact (case-insensitive) or "/regex/".',
    example: '"/\\.example\\.com$/"',
  },
  sender_domain: {
    type: 'string',
    default: undefined,
    doc: 'Envelope sender domain, exact or "/regex/"; the null sender <> never matches.',
    example: '"news.example.com"',
  },
  header: {
    type: 'enum',
    values: ['X-Binding', 'X-Binding-Group'],
    default: undefined,
    doc:
      'Take the binding (or group) named by this message header; needs [routing] allow_binding_header = true. An ' +
      'unknown name does not match.',
    example: '"X-Binding"',
  },
  auth_user: {
    type: 'string',
    default: undefined,
    doc: 'The SMTP AUTH user the message was submitted as.',
    example: '"newsletter"',
  },
  client_network: {
    type: 'network[]',
    default: undefined,
    doc: "The submitting client's address is in one of these networks (CIDR).",
    example: '["10.1.0.0/16"]',
  },
  binding: { type: 'string', default: undefined, doc: 'Result: this binding (must be defined).', example: '"mkt1"' },
  binding_group: {
    type: 'string',
    default: undefined,
    doc: "Result: a weighted random pick among this group's non-suspended bindings (must be defined).",
    example: '"marketing"',
  },
} as const satisfies Record<string, OptionSpec>;

/** Keys of one [[policy]] table: a policy module (docs/policy.md), loaded in file order. */
export const POLICY_KEYS = {
  module: {
    type: 'string',
    path: true,
    default: undefined,
    doc: 'The module file (.mjs or .js, ES module), relative to the config file. Required.',
    example: '"policy/acme.mjs"',
  },
  timeout: {
    type: 'duration',
    default: 5_000,
    doc:
      'Time limit of each call of an async hook of this module; past it the call counts as failed (inbound ' +
      'phases answer 451 4.3.0, delivery hooks defer, observers are skipped).',
    example: '"5s"',
  },
} as const satisfies Record<string, OptionSpec>;

/** One validated [[policy]] table. */
export interface PolicyModuleConfig {
  /** Absolute path of the module file. */
  readonly module: string;
  /** Per-call time limit, ms. */
  readonly timeout: number;
  /** Line of its [[policy]] header, when known. */
  readonly line?: number;
}

/** One validated [[binding_rule]], in file order. */
export interface BindingRuleConfig {
  /** 1-based position in the file's list of rules. */
  readonly index: number;
  /** Line of its [[binding_rule]] header, when known. */
  readonly line?: number;
  readonly recipient_domain?: string;
  readonly sender_domain?: string;
  readonly header?: 'X-Binding' | 'X-Binding-Group';
  readonly auth_user?: string;
  readonly client_network?: readonly string[];
  readonly binding?: string;
  readonly binding_group?: string;
}

/** [tls_policy]: MTA-STS policy fetching and TLS reporting (docs/tls-policy.md). */
export const TLS_POLICY_KEYS = {
  mta_sts_port: {
    type: 'integer',
    default: 443,
    min: 1,
    doc: 'HTTPS port of mta-sts.<domain> policy fetches (RFC 8461 §3.3 says 443; tests use another).',
    example: '443',
  },
  mta_sts_ca_file: {
    type: 'string',
    path: true,
    default: undefined,
    doc:
      'Extra trusted CA certificates (PEM) for MTA-STS: the policy host and the MX certificates checked under a ' +
      "policy; added to Node's root store. Relative to the config file.",
    example: '"/etc/petrel/tls/extra-ca.pem"',
  },
  mta_sts_fetch_timeout: {
    type: 'duration',
    default: 10_000,
    min: 100,
    doc: 'Bound on one policy fetch (connect, TLS and body).',
    example: '"10s"',
  },
} as const satisfies Record<string, OptionSpec>;

/** [spool]: the durable store (group commit, free-space guard, recovery). */
export const SPOOL_KEYS = {
  min_free_space: {
    type: 'size',
    default: 104_857_600,
    doc:
      "Refuse new mail (452 4.3.1) when the spool's file system has less free space than this; 0 disables the " +
      'check (a full disk still answers 452).',
    example: '"100MB"',
  },
  max_batch_size: {
    type: 'integer',
    default: 512,
    min: 1,
    doc: 'Most messages committed together in one group-commit transaction (one fsync).',
    example: '512',
  },
  recovery_chunk_size: {
    type: 'integer',
    default: 500,
    min: 1,
    doc:
      'Messages read per recovery chunk at start before yielding to the event loop, so delivery starts during ' +
      'the replay.',
    example: '500',
  },
} as const satisfies Record<string, OptionSpec>;

/** [http]: the HTTP injection API (@petrel/http-injector, docs/http-api.md). */
export const HTTP_KEYS = {
  listen: {
    type: 'string',
    default: '',
    doc:
      'Address of the HTTP injection API, "host:port" (e.g. "127.0.0.1:8025"). Empty = no HTTP API. Keep it on ' +
      'loopback or a private network: every request needs a bearer token, but the API can send mail anywhere.',
    example: '"127.0.0.1:8025"',
  },
  tokens_file: {
    type: 'string',
    path: true,
    default: undefined,
    doc:
      'Bearer tokens, one "client:scrypt$N$r$p$salt$hash[:binding_group]" (or bcrypt "$2b$…") line per client, ' +
      'hashed like listener.auth_users_file; a client sends "Authorization: Bearer client.secret". The optional ' +
      'binding group pins all of its mail to that group. Required with listen. Re-read on SIGHUP.',
    example: '"/etc/petrel/http-tokens"',
  },
  tls_certificate: {
    type: 'string',
    path: true,
    default: undefined,
    doc: 'PEM certificate (chain): with tls_key the API speaks HTTPS only. Relative to the config file.',
    example: '"/etc/petrel/tls/cert.pem"',
  },
  tls_key: {
    type: 'string',
    path: true,
    default: undefined,
    doc: 'PEM private key for tls_certificate. Relative to the config file.',
    example: '"/etc/petrel/tls/key.pem"',
  },
  max_recipients: {
    type: 'integer',
    default: 100,
    min: 1,
    doc: 'Recipients per POST /v1/inject (each gets its own message); more get 422.',
    example: '100',
  },
  max_request_size: {
    type: 'size',
    default: 36_700_160,
    min: 1024,
    doc:
      'Largest request body (JSON, attachments base64-encoded); larger ones get 413. Each composed message is ' +
      'also held to listener.max_message_size.',
    example: '"35MiB"',
  },
  rate_limit: {
    type: 'rate',
    default: undefined,
    doc: 'Requests per client token, e.g. "100/1s"; more get 429 with Retry-After. Unset = no limit.',
    example: '"100/1s"',
  },
  idempotency_ttl: {
    type: 'duration',
    default: 86_400_000,
    min: 1000,
    doc: 'How long an Idempotency-Key is remembered (in the spool database, across restarts).',
    example: '"24h"',
  },
} as const satisfies Record<string, OptionSpec>;

/** Keys of one [[webhook]] table: an endpoint that receives event-log records (docs/webhooks.md). */
export const WEBHOOK_KEYS = {
  name: {
    type: 'string',
    default: undefined,
    doc: 'Unique name: the durable cursor and the backlog metric are kept under it. Required.',
    example: '"crm"',
  },
  url: {
    type: 'string',
    default: undefined,
    doc: 'http:// or https:// URL that receives batches as POST application/json. Required.',
    example: '"https://hooks.example.com/petrel"',
  },
  secret: {
    type: 'string',
    default: undefined,
    doc:
      'HMAC-SHA256 key of the Petrel-Signature header (docs/webhooks.md). Required. Keep the config file ' +
      'unreadable to others.',
    example: '"change-me"',
  },
  events: {
    type: 'string[]',
    default: [],
    doc:
      'Event-log record types to send: reception, delivery, transient_failure, permanent_failure, expiration, ' +
      'rejection, bounce (docs/logs.md); empty = every type.',
    example: '["delivery", "permanent_failure"]',
  },
  batch_size: {
    type: 'integer',
    default: 100,
    min: 1,
    doc: 'Most records per POST.',
    example: '100',
  },
  batch_wait: {
    type: 'duration',
    default: 1_000,
    doc: 'How long a partial batch waits for more records before it is sent.',
    example: '"1s"',
  },
  timeout: {
    type: 'duration',
    default: 10_000,
    min: 100,
    doc: 'Time limit of one POST; past it the batch is retried.',
    example: '"10s"',
  },
  retry_interval: {
    type: 'duration',
    default: 1_000,
    min: 10,
    doc: 'First wait after a failed POST; doubled after each failure (with jitter) up to max_retry_interval.',
    example: '"1s"',
  },
  max_retry_interval: {
    type: 'duration',
    default: 300_000,
    min: 10,
    doc: 'Longest wait between retries. A batch is retried until the endpoint takes it: nothing is skipped.',
    example: '"5m"',
  },
} as const satisfies Record<string, OptionSpec>;

/** One validated [[webhook]] table. */
export interface WebhookConfig {
  readonly name: string;
  readonly url: string;
  readonly secret: string;
  readonly events: readonly string[];
  readonly batch_size: number;
  readonly batch_wait: number;
  readonly timeout: number;
  readonly retry_interval: number;
  readonly max_retry_interval: number;
  /** Line of its [[webhook]] header, when known. */
  readonly line?: number;
}

/** [cluster]: several nodes sharing throttles, connection limits and suspensions through Redis (docs/scaling.md). */
export const CLUSTER_KEYS = {
  redis: {
    type: 'string',
    default: '',
    doc:
      'Redis URL ("redis://[user:password@]host:port[/db]" or "rediss://…") of the state shared by every node; ' +
      'empty = a single node, nothing shared and no Redis code runs.',
    example: '"redis://127.0.0.1:6379"',
  },
  node: {
    type: 'string',
    default: '',
    doc: "This node's name in the cluster, unique among the nodes; empty = the hostname key.",
    example: '"mta1"',
  },
  prefix: {
    type: 'string',
    default: 'petrel',
    doc: 'Prefix of every Redis key and channel, so several clusters can share one Redis.',
    example: '"petrel"',
  },
  command_timeout: {
    type: 'duration',
    default: 500,
    min: 10,
    doc:
      'Longest wait for one Redis reply; past it the node counts Redis as down and delivers under its local share ' +
      'of each limit until Redis answers again.',
    example: '"500ms"',
  },
  connect_timeout: {
    type: 'duration',
    default: 2_000,
    min: 10,
    doc: 'Longest wait for a (re)connection to Redis.',
    example: '"2s"',
  },
  heartbeat_interval: {
    type: 'duration',
    default: 1_000,
    min: 50,
    doc: 'How often a node writes its heartbeat (name, queue counts, state) to Redis.',
    example: '"1s"',
  },
  node_ttl: {
    type: 'duration',
    default: 5_000,
    min: 100,
    doc:
      'A node whose heartbeat is older than this is no longer counted live (it drops out of `petrel cluster ' +
      'status` and of the count that divides limits while Redis is down). Must exceed heartbeat_interval.',
    example: '"5s"',
  },
  lease_ttl: {
    type: 'duration',
    default: 30_000,
    min: 100,
    doc:
      'Lifetime of a connection lease, renewed every third of it while the connection is open: the connections ' +
      'of a node that died stop counting against the shared limits after this.',
    example: '"30s"',
  },
  reconcile_interval: {
    type: 'duration',
    default: 5_000,
    min: 50,
    doc:
      'How often a node re-reads the shared suspensions in full, in case it missed a change notice (Redis ' +
      'restart, lost subscription).',
    example: '"5s"',
  },
} as const satisfies Record<string, OptionSpec>;

/** [shaping]: reply-driven traffic shaping, MX rollup sites, connection limits per IP (docs/shaping.md). */
export const SHAPING_KEYS = {
  rules_files: {
    type: 'string[]',
    path: true,
    default: [],
    doc:
      'Shaping rule files (TOML, docs/shaping.md): [[rule]] entries that turn remote replies into suspensions, ' +
      'throttles and connection limits, and [[site]] limits per MX host pattern; empty = the shipped ' +
      'config/shaping.toml. Relative to the config file.',
    example: '["shaping.toml", "my-shaping.toml"]',
  },
  site_max_connections: {
    type: 'integer',
    default: 0,
    min: 0,
    doc:
      'Connections open at once per binding to one site (the domains whose MX hosts are the same, MX rollup) ' +
      'when no [[site]] entry sets max_connections; 0 = no site limit.',
    example: '50',
  },
  max_connections_per_ip: {
    type: 'integer',
    default: 0,
    min: 0,
    doc:
      'Connections open at once per binding to one remote IP address when no [[site]] entry sets ' +
      'max_connections_per_ip; 0 = no limit.',
    example: '10',
  },
  warmup: {
    type: 'warmup[]',
    default: [],
    doc:
      'IP warm-up schedules, one [[shaping.warmup]] table per binding: binding, start ("YYYY-MM-DD", day 1), ' +
      'per ("site" or "overall"), schedule (tables { day, hourly, daily }: from that day on, at most that many ' +
      'messages per hour and per day), optional hour and day (window lengths, "1h" and "24h"). Mail over the ' +
      'budget stays queued until the next window.',
    example: '[{ binding = "ip1", start = "2026-12-01", schedule = [{ day = 1, hourly = 50, daily = 500 }] }]',
  },
} as const satisfies Record<string, OptionSpec>;

/**
 * One validated [[bounce.classes]] table: an operator bounce class. The rules (code range, built-in
 * codes, the categories) are @petrel/bounce's, which validates the table (its config extension).
 */
export interface BounceClassConfig {
  readonly code: number;
  readonly name: string;
  readonly description: string;
  /** One of @petrel/bounce's BOUNCE_CATEGORIES (its extension checked it). */
  readonly category: string;
}

type TypeOf<S extends OptionSpec> = S['type'] extends 'integer' | 'duration' | 'size'
  ? number
  : S['type'] extends 'boolean'
    ? boolean
    : S['type'] extends 'string[]' | 'address[]' | 'network[]'
      ? readonly string[]
      : S['type'] extends 'rate'
        ? { readonly count: number; readonly perMs: number } | undefined
        : S['type'] extends 'class[]'
          ? readonly BounceClassConfig[]
          : S['type'] extends 'warmup[]'
            ? readonly WarmupConfig[]
            : S['type'] extends 'retries'
              ? 'auto' | 'none' | number
              : S['values'] extends readonly string[]
                ? S['values'][number]
                : S['default'] extends undefined
                  ? string | undefined
                  : string;

export type ValuesOf<T extends Record<string, OptionSpec>> = { -readonly [K in keyof T]: TypeOf<T[K]> };

export type DeliveryOptions = ValuesOf<typeof DELIVERY_OPTIONS>;
export type RootOptions = ValuesOf<typeof ROOT_KEYS>;
export type ListenerOptions = ValuesOf<typeof LISTENER_KEYS>;
export type DnsOptions = ValuesOf<typeof DNS_KEYS>;
export type SpoolOptions = ValuesOf<typeof SPOOL_KEYS>;
export type RoutingOptions = ValuesOf<typeof ROUTING_KEYS>;
export type ControlOptions = ValuesOf<typeof CONTROL_KEYS>;
export type BounceOptions = ValuesOf<typeof BOUNCE_KEYS>;
export type EventlogOptions = ValuesOf<typeof EVENTLOG_KEYS>;
export type HttpOptions = ValuesOf<typeof HTTP_KEYS>;
export type ClusterOptions = ValuesOf<typeof CLUSTER_KEYS>;
export type TlsPolicyOptions = ValuesOf<typeof TLS_POLICY_KEYS>;
export type ShapingOptions = ValuesOf<typeof SHAPING_KEYS>;

/**
 * Keys of one [[dkim]] table: a signing key (RFC 6376, RFC 8463). @petrel/dkim validates them
 * (its config extension) and loads the key; the spec here is the documentation.
 */
export const DKIM_KEYS = {
  domain: {
    type: 'string',
    default: undefined,
    doc: 'The signing domain (`d=`). Required.',
    example: '"example.com"',
  },
  selector: {
    type: 'string',
    default: undefined,
    doc: 'The selector (`s=`): the key record is a TXT record at `<selector>._domainkey.<domain>`. Required.',
    example: '"s2026"',
  },
  key_file: {
    type: 'string',
    path: true,
    default: undefined,
    doc:
      'PEM private key (PKCS#8 or PKCS#1): RSA of at least 1024 bits (2048 recommended) or Ed25519; relative to the ' +
      'config file. Make it with `petrel dkim keygen`; mode 0600 (a key readable by group or others is warned ' +
      'about at start). Required.',
    example: '"keys/example.com.s2026.pem"',
  },
  algorithm: {
    type: 'enum',
    values: ['rsa-sha256', 'ed25519-sha256'],
    default: undefined,
    doc: 'Signing algorithm (`a=`); default: the one the key is for. Must agree with the key.',
    example: '"rsa-sha256"',
  },
  match: {
    type: 'enum',
    values: ['from', 'envelope', 'all'],
    default: 'from',
    doc:
      'Which mail this key signs: `from` = the From: header domain is `domain` or a subdomain (DMARC-aligned), ' +
      '`envelope` = the envelope sender domain is, `all` = every message (an ESP signature). Narrowed by ' +
      '`bindings` / `binding_groups` when given.',
    example: '"from"',
  },
  bindings: {
    type: 'string[]',
    default: [],
    doc:
      'Only mail the [[binding_rule]] tables assign to one of these bindings (for any recipient domain; the ' +
      '`default` binding when no rule matches).',
    example: '["mkt1"]',
  },
  binding_groups: {
    type: 'string[]',
    default: [],
    doc: 'Only mail the [[binding_rule]] tables assign to one of these binding groups (or a binding in one).',
    example: '["marketing"]',
  },
  headers: {
    type: 'string[]',
    default: [
      'From',
      'Reply-To',
      'Subject',
      'Date',
      'To',
      'Cc',
      'Message-ID',
      'In-Reply-To',
      'References',
      'MIME-Version',
      'Content-Type',
      'Content-Transfer-Encoding',
      'Content-Disposition',
      'List-Id',
      'List-Unsubscribe',
      'List-Unsubscribe-Post',
      'Feedback-ID',
      'Sender',
    ],
    doc: 'Header fields signed (`h=`), each as often as the message has it; From is required.',
    example: '["From", "To", "Subject", "Date", "Message-ID"]',
  },
  oversign_headers: {
    type: 'string[]',
    default: ['From', 'Reply-To', 'Subject', 'Date', 'To', 'Cc', 'Message-ID', 'MIME-Version', 'Content-Type'],
    doc:
      'Header fields signed once more than present (RFC 6376 §8.15), so that a field of that name added after ' +
      'signing breaks the signature.',
    example: '["From", "Subject", "To", "Date"]',
  },
  canonicalization: {
    type: 'enum',
    values: ['relaxed/relaxed', 'relaxed/simple', 'simple/relaxed', 'simple/simple'],
    default: 'relaxed/relaxed',
    doc: 'Header/body canonicalisation (`c=`, RFC 6376 §3.4).',
    example: '"relaxed/relaxed"',
  },
  expiration: {
    type: 'duration',
    default: undefined,
    min: 1_000,
    doc: 'Signature lifetime (`x=` = signing time + this); none by default.',
    example: '"7d"',
  },
} as const satisfies Record<string, OptionSpec>;

/** [dkim_options]: what happens when signing a message fails. */
export const DKIM_OPTIONS_KEYS = {
  on_failure: {
    type: 'enum',
    values: ['send_unsigned', 'tempfail'],
    default: 'send_unsigned',
    doc:
      'A message a key applies to that cannot be signed (no From: field, say) is logged and then `send_unsigned` = ' +
      'accepted without that signature, or `tempfail` = refused at DATA with `451 4.7.5` (the client retries).',
    example: '"send_unsigned"',
  },
} as const satisfies Record<string, OptionSpec>;

export type DkimOptions = ValuesOf<typeof DKIM_OPTIONS_KEYS>;

/** One validated [[dkim]] table with its key loaded (the contract of the `dkim` config extension). */
export interface DkimKeyConfig {
  /** 1-based position among the [[dkim]] tables. */
  readonly index: number;
  readonly line?: number;
  /** Lower case. */
  readonly domain: string;
  readonly selector: string;
  /** Absolute path. */
  readonly keyFile: string;
  readonly algorithm: 'rsa-sha256' | 'ed25519-sha256';
  /** The loaded private key (re-read on every load, so a reload picks up a rotated key). */
  readonly privateKey: KeyObject;
  readonly match: 'from' | 'envelope' | 'all';
  readonly bindings: readonly string[];
  readonly bindingGroups: readonly string[];
  readonly headers: readonly string[];
  readonly oversignHeaders: readonly string[];
  readonly canonicalization: { readonly header: 'simple' | 'relaxed'; readonly body: 'simple' | 'relaxed' };
  /** ms. */
  readonly expiration?: number;
}
