/**
 * The configuration schema as data: every key with its type, default, scopes and meaning.
 * The loader validates against it and docs/configuration.md is generated from it, so the
 * two cannot drift. Option names and defaults follow Momentum (shared reference §3).
 */
import { hostname } from 'node:os';

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
  | 'network[]';

export interface OptionSpec {
  readonly type: OptionType;
  readonly default: unknown;
  readonly doc: string;
  readonly values?: readonly string[];
  readonly min?: number;
  /** Example value as written in TOML, for the generated reference. */
  readonly example?: string;
}

/** Scopes of a delivery option (Momentum: g bg b d; Petrel adds the (binding, domain) nesting). */
export type ScopeKind = 'global' | 'binding_group' | 'binding' | 'domain';

export interface DeliveryOptionSpec extends OptionSpec {
  readonly scopes: readonly ScopeKind[];
}

const ALL4: readonly ScopeKind[] = ['global', 'binding_group', 'binding', 'domain'];

/** Delivery options: settable in [global], [domain."d"], bindings, binding groups and their domain tables. */
export const DELIVERY_OPTIONS = {
  remote_port: { type: 'integer', default: 25, min: 1, scopes: ALL4, doc: 'Destination SMTP port (Momentum remote_smtp_port).', example: '25' },
  max_outbound_connections: { type: 'integer', default: 32, min: 1, scopes: ALL4, doc: 'Concurrent connections per (binding, domain).', example: '32' },
  max_deliveries_per_connection: { type: 'integer', default: 0, min: 0, scopes: ALL4, doc: 'Close a connection after this many successful deliveries; 0 = no limit.', example: '0' },
  max_recipients_per_batch: { type: 'integer', default: 100, min: 1, scopes: ALL4, doc: 'RCPTs per transaction; a message with more recipients of one domain is sent in several transactions.', example: '100' },
  retry_interval: { type: 'duration', default: 1_200_000, scopes: ALL4, doc: 'Back-off base: the wait after the n-th transient failure is retry_interval × 2^(n−1).', example: '"20m"' },
  max_retry_interval: { type: 'duration', default: 43_200_000, scopes: ALL4, doc: 'Cap on the back-off wait.', example: '"12h"' },
  max_retries: { type: 'retries', default: 'auto', scopes: ALL4, doc: '"auto" (limit from message_expiration), "none" (only expiry ends retries) or an integer.', example: '"auto"' },
  message_expiration: { type: 'duration', default: 432_000_000, scopes: ALL4, doc: 'Time to live from reception; then the message fails with 554 5.4.7. Default 5 days (RFC 5321 §4.5.4.1: give up after 4–5 days).', example: '"5d"' },
  never_retry: { type: 'boolean', default: false, scopes: ALL4, doc: 'The first transient failure is final.', example: 'false' },
  suspend_delivery: { type: 'boolean', default: false, scopes: ALL4, doc: 'Hold mail in this scope: it stays queued and is counted, nothing is delivered.', example: 'false' },
  connection_allocation_aggressiveness: { type: 'enum', values: ['normal', 'high'], default: 'normal', scopes: ALL4, doc: 'How fast the connection goal climbs with the active queue size.', example: '"normal"' },
  outbound_throttle_messages: { type: 'rate', default: undefined, scopes: ALL4, doc: '"N" messages per second or "N/S" per S; one token bucket per defining scope, shared by narrower scopes.', example: '"100/60"' },
  outbound_throttle_connections: { type: 'rate', default: undefined, scopes: ALL4, doc: 'Connection-open rate, same syntax and sharing as outbound_throttle_messages.', example: '"10"' },
  connect_timeout: { type: 'duration', default: 300_000, scopes: ALL4, doc: 'TCP connect timeout.', example: '"5m"' },
  banner_timeout: { type: 'duration', default: 300_000, scopes: ALL4, doc: 'Wait for the 220 greeting (RFC 5321 §4.5.3.2.1: 5 min).', example: '"5m"' },
  ehlo_timeout: { type: 'duration', default: 300_000, scopes: ALL4, doc: 'Wait for the EHLO/HELO reply.', example: '"5m"' },
  mailfrom_timeout: { type: 'duration', default: 300_000, scopes: ALL4, doc: 'Wait for the MAIL reply (RFC 5321 §4.5.3.2.2: 5 min).', example: '"5m"' },
  rcptto_timeout: { type: 'duration', default: 300_000, scopes: ALL4, doc: 'Wait for each RCPT reply (RFC 5321 §4.5.3.2.3: 5 min).', example: '"5m"' },
  data_timeout: { type: 'duration', default: 120_000, scopes: ALL4, doc: 'Wait for the 354 after DATA (RFC 5321 §4.5.3.2.4: 2 min).', example: '"2m"' },
  data_block_timeout: { type: 'duration', default: 180_000, scopes: ALL4, doc: 'Each body write must drain within this (RFC 5321 §4.5.3.2.5: 3 min).', example: '"3m"' },
  body_timeout: { type: 'duration', default: 600_000, scopes: ALL4, doc: 'Wait for the reply after CRLF.CRLF (RFC 5321 §4.5.3.2.6: 10 min).', example: '"10m"' },
  rset_timeout: { type: 'duration', default: 30_000, scopes: ALL4, doc: 'Wait for the RSET reply.', example: '"30s"' },
  idle_timeout: { type: 'duration', default: 5_000, scopes: ALL4, doc: 'Keep an idle outbound connection this long for more mail to the same destination.', example: '"5s"' },
  tls: { type: 'enum', values: ['no', 'ifavailable', 'required'], default: 'ifavailable', scopes: ALL4, doc: 'STARTTLS policy: never, opportunistic, or required.', example: '"ifavailable"' },
  tls_verify: { type: 'enum', values: ['no', 'ca', 'host'], default: 'no', scopes: ALL4, doc: 'Certificate check: none, CA chain, CA chain and host name.', example: '"no"' },
  tls_ifavailable_fallback: { type: 'boolean', default: true, scopes: ALL4, doc: 'Under tls = "ifavailable", a failed handshake falls back to plaintext at once (true) or defers (false).', example: 'true' },
  gateway: { type: 'string[]', default: [], scopes: ALL4, doc: 'Smart hosts ("host", "host:port", "[v6]:port") used instead of MX lookup, in order.', example: '["smart.example:587"]' },
  generate_bounces: { type: 'boolean', default: true, scopes: ALL4, doc: 'A permanent failure after reception sends a DSN to the sender.', example: 'true' },
  ehlo_hostname: { type: 'string', default: '__hostname__', scopes: ALL4, doc: 'EHLO name: "__hostname__" (the hostname key), "__message__" (sender domain) or a literal.', example: '"mta1.example.com"' },
} as const satisfies Record<string, DeliveryOptionSpec>;

export type DeliveryOptionName = keyof typeof DELIVERY_OPTIONS;

/** Keys that only bindings (and [global], for the implicit default binding) take. */
export const BINDING_KEYS = {
  bind_address: { type: 'string', default: undefined, doc: 'Source address for outbound connections (IPv4 or IPv6); unset = the kernel chooses.', example: '"127.0.0.2"' },
} as const satisfies Record<string, OptionSpec>;

/** Top-level keys. */
export const ROOT_KEYS = {
  hostname: { type: 'string', default: hostname(), doc: 'This MTA\'s name: greeting banner, EHLO, Received headers, DSN Reporting-MTA.', example: '"mta1.example.com"' },
  spool_dir: { type: 'string', default: 'spool', doc: 'Spool directory; relative paths are relative to the config file\'s directory.', example: '"/var/spool/petrel"' },
  log_dir: { type: 'string', default: 'log', doc: 'Directory of events.jsonl; relative paths are relative to the config file\'s directory.', example: '"/var/log/petrel"' },
  log_level: { type: 'enum', values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace'], default: 'info', doc: 'Operator log (stderr) level.', example: '"info"' },
} as const satisfies Record<string, OptionSpec>;

export const LISTENER_KEYS = {
  listen: { type: 'address[]', default: ['127.0.0.1:2525'], doc: 'Addresses to accept SMTP on, "host:port" or "[v6]:port".', example: '["127.0.0.1:2525"]' },
  relay_networks: { type: 'network[]', default: ['127.0.0.0/8'], doc: 'Client networks (CIDR) allowed to relay; others get 554 5.7.1.', example: '["127.0.0.0/8", "::1/128"]' },
  max_message_size: { type: 'size', default: 26_214_400, doc: 'Largest message accepted (advertised as SIZE); larger ones get 552 5.3.4.', example: '"25MB"' },
  max_recipients: { type: 'integer', default: 100, min: 1, doc: 'Recipients per message; more get 452 4.5.3 (RFC 5321 §4.5.3.1.8 asks for at least 100).', example: '100' },
  max_connections: { type: 'integer', default: 2000, min: 1, doc: 'Concurrent inbound connections; more get 421 4.7.0.', example: '2000' },
  idle_timeout: { type: 'duration', default: 300_000, doc: 'Close a client that sends nothing this long (RFC 5321 §4.5.3.2.7: 5 min).', example: '"5m"' },
  trace_header: { type: 'boolean', default: true, doc: 'Prepend a Received: trace header (RFC 5321 §4.4).', example: 'true' },
} as const satisfies Record<string, OptionSpec>;

export const DNS_KEYS = {
  servers: { type: 'address[]', default: [], doc: 'DNS servers "ip" or "ip:port"; empty = the system resolver. Tests always set one.', example: '["127.0.0.1:5353"]' },
  timeout: { type: 'duration', default: 5_000, doc: 'Per-query timeout.', example: '"5s"' },
  tries: { type: 'integer', default: 2, min: 1, doc: 'Tries per query before a transient failure.', example: '2' },
} as const satisfies Record<string, OptionSpec>;

type TypeOf<S extends OptionSpec> = S['type'] extends 'integer' | 'duration' | 'size'
  ? number
  : S['type'] extends 'boolean'
    ? boolean
    : S['type'] extends 'string[]' | 'address[]' | 'network[]'
      ? readonly string[]
      : S['type'] extends 'rate'
        ? { readonly count: number; readonly perMs: number } | undefined
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
