/**
 * Whether a transaction really needs SMTPUTF8 (RFC 6531). A client may ask for it on a message
 * whose envelope and header section are plain ASCII; then nothing of the extension is used:
 * RFC 6531 §3.4 says the client SHOULD NOT send the parameter, and such a message goes to a
 * server without SMTPUTF8 unchanged (Postfix's smtp client decides the same way). Only a UTF-8
 * mailbox or a UTF-8 header field needs it; 8-bit body octets are 8BITMIME's business.
 */
import type { Transaction } from './types.js';

const CRLFCRLF = Buffer.from('\r\n\r\n');

function nonAscii(s: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the complement of all US-ASCII, controls included
  return /[^\x00-\x7f]/.test(s);
}

/** The header section: up to the first empty line (RFC 5322 §2.1), or all of it when there is none. */
function headerSection(body: Buffer): Buffer {
  if (body.subarray(0, 2).toString('latin1') === '\r\n') return body.subarray(0, 0);
  const end = body.indexOf(CRLFCRLF);
  return end < 0 ? body : body.subarray(0, end);
}

/** True when the sender, a recipient of this transaction or a header field has non-ASCII octets. */
export function needsSmtputf8(tx: Pick<Transaction, 'sender' | 'recipients'>, body: Buffer): boolean {
  if (nonAscii(tx.sender) || tx.recipients.some((r) => nonAscii(r.address))) return true;
  const head = headerSection(body);
  for (let i = 0; i < head.length; i++) if (head[i]! > 0x7f) return true;
  return false;
}
