/** The listener's settings, read once from `[listener]` and `hostname` at start. */
import { NetworkList, type PetrelConfig } from '@petrel/core';

export interface SessionSettings {
  readonly hostname: string;
  readonly maxMessageSize: number;
  readonly maxRecipients: number;
  readonly maxConnections: number;
  readonly relay: NetworkList;
  readonly traceHeader: boolean;
  /** Milliseconds without client input before 421 4.4.2 (RFC 5321 §4.5.3.2.7). */
  readonly idleTimeout: number;
  /** Error replies (5xx) after which the client is dropped with 421. */
  readonly maxErrors: number;
  /** Command line limit, CRLF included (RFC 5321 §4.5.3.1.4). */
  readonly maxLine: number;
}

/** Momentum and Postfix drop a client after 20 errors (Postfix smtpd_hard_error_limit). */
const MAX_ERRORS = 20;
const MAX_LINE = 512;

export function settingsFrom(config: PetrelConfig): SessionSettings {
  const l = config.listener;
  return {
    hostname: config.hostname,
    maxMessageSize: l.max_message_size,
    maxRecipients: l.max_recipients,
    maxConnections: l.max_connections,
    relay: new NetworkList(l.relay_networks),
    traceHeader: l.trace_header,
    idleTimeout: l.idle_timeout,
    maxErrors: MAX_ERRORS,
    maxLine: MAX_LINE,
  };
}
