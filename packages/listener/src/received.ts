/**
 * The Received: trace header (RFC 5321 §4.4) and the RFC 5322 §3.3 date it ends with.
 */

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const two = (n: number): string => String(n).padStart(2, '0');

/** "Thu, 1 Jan 2026 00:00:00 +0000" (RFC 5322 §3.3), in UTC so it is the same on every node. */
export function rfc5322Date(epochMs: number): string {
  const d = new Date(epochMs);
  return (
    `${DAYS[d.getUTCDay()]}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`
  );
}

/** The negotiated TLS session, for the trace header. */
export interface TlsInfo {
  readonly protocol: string;
  readonly cipher: string;
  readonly bits?: number;
}

export interface TraceInput {
  /** What the client gave in EHLO/HELO. */
  readonly helo: string;
  readonly clientAddress: string;
  readonly hostname: string;
  /** RFC 3848 / RFC 6531 §3.7.3 "with" keyword: SMTP, ESMTP, ESMTPS, UTF8SMTP, … */
  readonly protocol: string;
  readonly id: string;
  /** Given only when the message has exactly one recipient (RFC 5321 §4.4: no leak of Bcc). */
  readonly recipient?: string;
  readonly time: number;
  readonly tls?: TlsInfo;
}

/** The header, folded (RFC 5322 §2.2.3: CRLF + WSP) before "by" and "for", ending in CRLF. */
export function receivedHeader(t: TraceInput): string {
  // RFC 5321 §4.1.3: an IPv6 address literal is "IPv6:" + the address.
  const literal = t.clientAddress.includes(':') ? `IPv6:${t.clientAddress}` : t.clientAddress;
  // The helo is client data; it cannot hold CR/LF (the reader refuses them) but keep it printable.
  const helo = t.helo.replace(/[^\x21-\x7e]/g, '?') || 'unknown';
  const forClause = t.recipient !== undefined ? `\r\n\tfor <${t.recipient}>` : '';
  // Postfix's form of the TLS comment (RFC 5321 §4.4 allows comments in the "with" clause area).
  const bits = t.tls?.bits !== undefined ? ` (${t.tls.bits}/${t.tls.bits} bits)` : '';
  const tls = t.tls ? `\r\n\t(using ${t.tls.protocol} with cipher ${t.tls.cipher}${bits})` : '';
  return (
    `Received: from ${helo} ([${literal}])${tls}\r\n` +
    `\tby ${t.hostname} (Petrel) with ${t.protocol} id ${t.id}` +
    `${forClause}; ${rfc5322Date(t.time)}\r\n`
  );
}
