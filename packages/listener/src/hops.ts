/**
 * Mail-loop detection by hop count (RFC 5321 §6.3: a server should refuse a message whose
 * trace headers show it has passed too many relays, 554 5.4.6 per RFC 3463 "routing loop").
 *
 * Only Received: counts, as in Postfix's hopcount_limit. Delivered-To: is not a trace header of
 * RFC 5321 §4.4; Postfix's local(8) uses it to find a forwarding loop per recipient at final
 * delivery, which Petrel (outbound only) never does, and a forwarded message legitimately keeps
 * the Delivered-To: of every mailbox it passed, so counting it would refuse honest mail.
 */
import { HEADER_WINDOW, headerSource } from './transaction.js';

const RECEIVED = /(?:^|\r\n)received[ \t]*:/gi;

/**
 * The Received: headers of the message's header section (up to the first empty line, RFC 5322
 * §2.1), read from the leading pieces only and never past HEADER_WINDOW octets.
 */
export function countReceived(parts: readonly Buffer[]): number {
  const source = headerSource(parts);
  const window = source.subarray(0, HEADER_WINDOW);
  const blank = window.indexOf('\r\n\r\n');
  // A message that starts with an empty line has no header section.
  if (window.subarray(0, 2).toString('latin1') === '\r\n') return 0;
  const head = window.subarray(0, blank < 0 ? window.length : blank + 2).toString('latin1');
  let count = 0;
  RECEIVED.lastIndex = 0;
  while (RECEIVED.exec(head) !== null) count++;
  return count;
}
