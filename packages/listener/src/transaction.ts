/**
 * One mail transaction (RFC 5321 §3.3: MAIL, RCPT…, DATA or BDAT…) and how it becomes the
 * spool's StoreRequest: id, trace header, missing Message-ID/Date, envelope.
 */
import type { BodyType, MessageEnvelope, Recipient, StoreRequest, SuppressionEntry } from '@petrel/core';
import type { BdatBody } from './bdat.js';
import { receivedHeader, rfc5322Date, type TlsInfo } from './received.js';

export interface Transaction {
  /** "" for the null sender <>. */
  readonly sender: string;
  readonly recipients: Recipient[];
  readonly bodyType?: BodyType;
  readonly smtputf8: boolean;
  /** SIZE= as declared on MAIL (RFC 1870), for logs only; the stream is what is enforced. */
  readonly declaredSize?: number;
  /** DSN RET and ENVID (RFC 3461 §4.3, §4.4), ENVID decoded. */
  readonly ret?: 'FULL' | 'HDRS';
  readonly envid?: string;
  /** The body so far once the first BDAT chunk came (RFC 3030). */
  bdat?: BdatBody;
  /** Recipients at a return-path domain: the message goes to `inbound.receive`, never relayed. */
  inbound?: boolean;
  /** Suppressed recipients accepted to be failed (suppression_action = accept_and_fail). */
  suppressed?: { readonly address: string; readonly entry: SuppressionEntry }[];
}

/** Recipients DATA may follow: accepted ones, or suppressed ones accepted to be failed. */
export function hasRecipients(tx: Transaction | undefined): boolean {
  return tx !== undefined && (tx.recipients.length > 0 || (tx.suppressed?.length ?? 0) > 0);
}

export interface MessageContext {
  readonly id: string;
  readonly receivedAt: number;
  readonly hostname: string;
  readonly traceHeader: boolean;
  /** Add Message-ID: and Date: when the message has none. */
  readonly addMissingHeaders: boolean;
  readonly client: { readonly address: string; readonly port: number; readonly helo: string };
  /** True after EHLO, false after HELO. */
  readonly esmtp: boolean;
  readonly tls?: TlsInfo;
  readonly authUser?: string;
}

/** RFC 3848 (ESMTPS, ESMTPA, ESMTPSA) and RFC 6531 §3.7.3 (UTF8SMTP…) "with" keywords. */
export function withProtocol(esmtp: boolean, smtputf8: boolean, tls: boolean, auth: boolean): string {
  if (!esmtp) return 'SMTP';
  const suffix = `${tls ? 'S' : ''}${auth ? 'A' : ''}`;
  return `${smtputf8 ? 'UTF8SMTP' : 'ESMTP'}${suffix}`;
}

/**
 * Which of Message-ID and Date the header section lacks (RFC 5322 §3.6: Date is required,
 * Message-ID should be present). Only the header section, up to the first empty line, is read.
 */
export function missingHeaders(data: Buffer): { messageId: boolean; date: boolean } {
  const end = data.indexOf('\r\n\r\n');
  const head = data.subarray(0, end < 0 ? data.length : end + 2).toString('latin1');
  const top = data.subarray(0, 2).toString('latin1') === '\r\n' ? '' : `\r\n${head}`;
  return { messageId: !/\r\nmessage-id[ \t]*:/i.test(top), date: !/\r\ndate[ \t]*:/i.test(top) };
}

const BLANK_LINE = Buffer.from('\r\n\r\n');
/** The most of a message read to find its header section (as routing's header rules do). */
export const HEADER_WINDOW = 256 * 1024;

/**
 * The leading pieces that hold the header section: the first piece alone in the usual case (DATA's
 * first read starts the message), else pieces up to the one with the blank line, at most
 * HEADER_WINDOW octets, joined once. The body after it is never copied for this.
 */
export function headerSource(parts: readonly Buffer[]): Buffer {
  const first = parts[0] ?? Buffer.alloc(0);
  if (parts.length <= 1 || first.includes(BLANK_LINE) || first.subarray(0, 2).toString('latin1') === '\r\n')
    return first;
  let taken = 0;
  let octets = 0;
  let tail: Buffer = Buffer.alloc(0);
  while (taken < parts.length && octets < HEADER_WINDOW) {
    const p = parts[taken++]!;
    octets += p.length;
    // The blank line may straddle two pieces: look at the previous piece's last octets too.
    if (p.includes(BLANK_LINE) || Buffer.concat([tail, p.subarray(0, 3)]).includes(BLANK_LINE)) break;
    tail = p.subarray(Math.max(0, p.length - 3));
  }
  return Buffer.concat(parts.slice(0, taken), octets);
}

/**
 * The body as stored (trace header + added headers + data, CRLF line ends) and its envelope.
 * `parts` are the data's pieces, joined here in one copy together with the prefix.
 */
export function buildStoreRequest(tx: Transaction, parts: readonly Buffer[], m: MessageContext): StoreRequest {
  const protocol = withProtocol(m.esmtp, tx.smtputf8, m.tls !== undefined, m.authUser !== undefined);
  const only = tx.recipients.length === 1 ? tx.recipients[0]?.address : undefined;
  let prefix = m.traceHeader
    ? receivedHeader({
        helo: m.client.helo,
        clientAddress: m.client.address,
        hostname: m.hostname,
        protocol,
        id: m.id,
        time: m.receivedAt,
        ...(only !== undefined ? { recipient: only } : {}),
        ...(m.tls !== undefined ? { tls: m.tls } : {}),
      })
    : '';
  if (m.addMissingHeaders) {
    const missing = missingHeaders(headerSource(parts));
    if (missing.messageId) prefix += `Message-ID: <${m.id}@${m.hostname}>\r\n`;
    if (missing.date) prefix += `Date: ${rfc5322Date(m.receivedAt)}\r\n`;
  }
  const body = Buffer.concat(prefix === '' ? parts : [Buffer.from(prefix, 'utf8'), ...parts]);
  const envelope: MessageEnvelope = {
    id: m.id,
    sender: tx.sender,
    recipients: [...tx.recipients],
    receivedAt: m.receivedAt,
    size: body.length,
    protocol: m.esmtp ? 'esmtp' : 'smtp',
    client: {
      address: m.client.address,
      port: m.client.port,
      helo: m.client.helo,
      ...(m.authUser !== undefined ? { authUser: m.authUser } : {}),
    },
    smtputf8: tx.smtputf8,
    ...(tx.bodyType !== undefined ? { bodyType: tx.bodyType } : {}),
    ...(tx.ret !== undefined ? { ret: tx.ret } : {}),
    ...(tx.envid !== undefined ? { envid: tx.envid } : {}),
  };
  return { envelope, body };
}
