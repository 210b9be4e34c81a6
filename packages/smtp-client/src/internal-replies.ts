/**
 * Momentum's internal reply strings (reference §6), byte for byte, as data. A reply the client
 * makes up itself always says "[internal]" so logs never confuse it with the peer's words.
 */
import { SmtpReply } from '@petrel/core';

export const INTERNAL = {
  noBanner: '451 4.4.2 [internal] no banner',
  noEhloResponse: '451 4.4.2 [internal] no HELO/EHLO response',
  noMailResponse: '451 4.4.2 [internal] no MAIL FROM response',
  noRcptResponse: '451 4.4.2 [internal] no RCPT TO response',
  noDataResponse: '451 4.4.2 [internal] no DATA response',
  sendBodyFailed: '451 4.4.2 [internal] send BODY failed',
  noBodyResponse: '451 4.4.2 [internal] no BODY response',
  noRsetResponse: '451 4.4.2 [internal] no RSET response',
  closedByRemote: '451 4.4.2 [internal] connection closed by remote host',
  connectTimedOut: '450 4.4.1 [internal] Connection Timed Out',
  noTlsGoAhead: '451 4.7.5 [internal] no tls go-ahead',
  tlsFailed: '451 4.7.5 [internal] TLS negotiation failed',
  tlsRequired: '451 4.7.6 [internal] STARTTLS required but not advertised',
  // Not in Momentum's list (Petrel's own, same shape):
  malformedReply: '451 4.5.0 [internal] malformed reply',
  authUnavailable: '451 4.7.0 [internal] AUTH required but not available',
  binaryMime: '554 5.6.3 [internal] BINARYMIME needs CHUNKING and BINARYMIME, not available',
  eightBitRemains: '554 5.6.3 [internal] 8-bit content cannot be downconverted for a server without 8BITMIME',
  noBdatResponse: '451 4.4.2 [internal] no BDAT response',
  /** A TLS policy (MTA-STS enforce, DANE) refused the server's certificate (RFC 8461 §5, RFC 7672 §2.2). */
  tlsAuthFailed: '451 4.7.5 [internal] TLS authentication failed',
} as const;

export type InternalReplyName = keyof typeof INTERNAL;

/** The internal reply as a value. */
export function internalReply(name: InternalReplyName, detail?: string): SmtpReply {
  return SmtpReply.parse(detail === undefined ? INTERNAL[name] : `${INTERNAL[name]} (${detail})`);
}

/** 421 4.4.0 for a failed TCP connect, keeping the errno so operators can tell refused from unreachable. */
export function connectFailedReply(errno: string): SmtpReply {
  const what = errno === 'ECONNREFUSED' ? 'connection refused' : 'connection failed';
  return SmtpReply.parse(`421 4.4.0 [internal] ${what} (${errno})`);
}

/** RFC 1870 §6.1: a message above the advertised SIZE is refused before MAIL is sent. */
export function sizeExceededReply(size: number, limit: number): SmtpReply {
  return SmtpReply.parse(`552 5.3.4 [internal] message size ${size} exceeds the remote limit ${limit}`);
}

/** RFC 6531 §3.4: an SMTPUTF8 message cannot go to a server that does not advertise it. */
export function smtputf8Reply(): SmtpReply {
  return SmtpReply.parse('553 5.6.7 [internal] SMTPUTF8 required but not advertised');
}
