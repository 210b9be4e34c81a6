/**
 * The internal replies routing emits, byte for byte as Momentum writes them (shared reference §6),
 * kept in one table so that logs, DSNs and bounce rules match Momentum's.
 */
import type { ReplyData } from '@petrel/core';

function reply(code: number, enhanced: string, text: string): ReplyData {
  return Object.freeze({ code, enhanced, lines: Object.freeze([text]) });
}

export const ROUTING_REPLIES = {
  /** RFC 7505 §3: a null MX says the domain accepts no mail; fail at once, never attempt. */
  nullMx: reply(556, '5.1.10', '[internal] Recipient address has null MX'),
  /** NXDOMAIN for the recipient domain: it does not exist (RFC 5321 §5.1). */
  domainLookupFailed: reply(554, '5.4.4', '[internal] Domain Lookup Failed'),
  /** SERVFAIL, timeout, refusal, or a domain with neither MX nor address: try again later. */
  noMxOrA: reply(454, '4.4.4', '[internal] no MX or A for domain'),
  /** MX (or gateway) names exist but none resolved to an address the binding can reach. */
  noValidHosts: reply(451, '4.4.1', '[internal] No valid hosts'),
  /** Every host of the route is in prohibited_hosts (Momentum's reply for private/loopback destinations). */
  prohibitedHost: reply(551, '5.4.6', '[internal] Private/Loopback Address'),
} as const satisfies Record<string, ReplyData>;

/**
 * Every host of the route is one of Petrel's own listeners (RFC 5321 §6.3 mail loop), in
 * Postfix's words. Permanent: see docs/decisions.md "Mail that loops back to Petrel bounces".
 */
export function loopsBackReply(domain: string): ReplyData {
  return reply(554, '5.4.6', `[internal] mail for ${domain} loops back to myself`);
}

export type RoutingReplyName = keyof typeof ROUTING_REPLIES;
