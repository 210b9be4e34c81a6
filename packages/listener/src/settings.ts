/** The listener's settings, read once from `[listener]` and `hostname` at start. */
import { NetworkList, type PetrelConfig } from '@petrel/core';
import type { TlsFiles } from './tls-context.js';

export interface SessionSettings {
  readonly hostname: string;
  readonly maxMessageSize: number;
  readonly maxRecipients: number;
  readonly maxConnections: number;
  readonly maxConnectionsPerIp: number;
  readonly relay: NetworkList;
  readonly traceHeader: boolean;
  /** Milliseconds without client input before 421 4.4.2 (RFC 5321 §4.5.3.2.7). */
  readonly idleTimeout: number;
  /** Error replies (5xx) after which the client is dropped with 421. */
  readonly maxErrors: number;
  /** bare_newline = "normalize": a bare LF is a line end (stored as CRLF), never the end of the data. */
  readonly normalizeBareLf: boolean;
  /** NOOP/RSET/VRFY commands after which each further one counts as an error. */
  readonly junkCommandLimit: number;
  /** RCPTs refused past maxRecipients in one transaction before each further one counts as an error. */
  readonly recipientOvershootLimit: number;
  /** Received: headers a message may carry; more is a mail loop (RFC 5321 §6.3). */
  readonly hopcountLimit: number;
  /** Command line limit, CRLF included (RFC 5321 §4.5.3.1.4). */
  readonly maxLine: number;
  /** Longest line of message text without its CRLF (RFC 5322 §2.1.1: 998). */
  readonly maxDataLine: number;
  readonly tlsFiles: TlsFiles | undefined;
  readonly authUsersFile: string | undefined;
  readonly authAllowPlaintext: boolean;
  readonly authMaxFailures: number;
  readonly authFailureWindow: number;
  readonly greetingDelay: number;
  readonly addMissingHeaders: boolean;
  /** Lower-cased. */
  readonly localDomains: ReadonlySet<string>;
  /** [bounce] return_path_domains, lower-cased: accepted from any client, handed to inbound.receive. */
  readonly returnPathDomains: ReadonlySet<string>;
  /** [bounce] suppression_action. */
  readonly suppressionAction: 'refuse' | 'accept_and_fail';
}

const MAX_LINE = 512;
const MAX_DATA_LINE = 998;

export function settingsFrom(config: PetrelConfig): SessionSettings {
  const l = config.listener;
  return {
    hostname: config.hostname,
    maxMessageSize: l.max_message_size,
    maxRecipients: l.max_recipients,
    maxConnections: l.max_connections,
    maxConnectionsPerIp: l.max_connections_per_ip,
    relay: new NetworkList(l.relay_networks),
    traceHeader: l.trace_header,
    idleTimeout: l.idle_timeout,
    maxErrors: l.max_errors,
    junkCommandLimit: l.junk_command_limit,
    recipientOvershootLimit: l.recipient_overshoot_limit,
    hopcountLimit: l.hopcount_limit,
    normalizeBareLf: l.bare_newline === 'normalize',
    maxLine: MAX_LINE,
    maxDataLine: MAX_DATA_LINE,
    tlsFiles:
      l.tls_certificate !== undefined && l.tls_key !== undefined
        ? { certificate: l.tls_certificate, key: l.tls_key }
        : undefined,
    authUsersFile: l.auth_users_file,
    authAllowPlaintext: l.auth_allow_plaintext,
    authMaxFailures: l.auth_max_failures,
    authFailureWindow: l.auth_failure_window,
    greetingDelay: l.greeting_delay,
    addMissingHeaders: l.add_missing_headers,
    localDomains: new Set(l.local_domains.map((d) => d.toLowerCase())),
    returnPathDomains: new Set(config.bounce.return_path_domains.map((d) => d.toLowerCase())),
    suppressionAction: config.bounce.suppression_action,
  };
}
