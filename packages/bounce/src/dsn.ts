/**
 * RFC 3464 delivery status notifications, rendered as bytes ready for the spool (CRLF line ends).
 * RFC 3462/6522 multipart/report; report-type=delivery-status: a human-readable part, the
 * message/delivery-status part, then the original headers (text/rfc822-headers) or the whole
 * original (message/rfc822), as RET (RFC 3461 §4.3) and bounces_inline_original decide.
 * RFC 6533 §4 for internationalized mail: UTF-8 headers go back as message/global-headers, a
 * whole original with UTF-8 headers as message/global, and a status part naming UTF-8 addresses
 * as message/global-delivery-status; any 8-bit part makes the whole DSN 8bit (RFC 2045 §6.4).
 */
import { randomBytes } from 'node:crypto';
import { formatReply, type ReplyData } from '@petrel/core';

/** RFC 3464 §2.3.3 Action values. */
export type DsnAction = 'failed' | 'delayed' | 'delivered' | 'relayed' | 'expanded';

/** How much of the original a DSN carries (Momentum `bounces_inline_original`). */
export type InlineOriginal = 'none' | 'headers' | 'all';

/** One per-recipient block (RFC 3464 §2.3). */
export interface DsnRecipient {
  /** The recipient address as it was tried (Final-Recipient). */
  readonly address: string;
  /** The ORCPT parameter as given, "rfc822;bob@example.test" (Original-Recipient, RFC 3461 §4.2). */
  readonly orcpt?: string;
  readonly action: DsnAction;
  /** The reply that decided the outcome (Status and Diagnostic-Code). */
  readonly reply: ReplyData;
  /** The host that gave the reply (Remote-MTA), when one did. */
  readonly remoteMta?: string;
  /** Epoch ms of the last attempt (Last-Attempt-Date). */
  readonly lastAttemptAt?: number;
  /** Epoch ms until which delivery is retried; for delayed DSNs (Will-Retry-Until). */
  readonly willRetryUntil?: number;
}

export interface DsnInput {
  /** This MTA's host name (Reporting-MTA: dns; …). */
  readonly reportingMta: string;
  /** The From: address, e.g. "MAILER-DAEMON@mta.example". */
  readonly from: string;
  /** The original sender: the DSN's recipient. Never "" (no DSN to the null sender). */
  readonly to: string;
  /** The original message id, quoted in the human part. */
  readonly originalId?: string;
  /** ENVID of the original (Original-Envelope-Id, RFC 3461 §4.4), decoded. */
  readonly envid?: string;
  /** Epoch ms the original arrived (Arrival-Date). */
  readonly arrivalDate: number;
  readonly recipients: readonly DsnRecipient[];
  /** The original message bytes; needed unless include is "none". */
  readonly original?: Buffer;
  readonly include: InlineOriginal;
  /** Epoch ms; the Date header. */
  readonly date: number;
  /** Fixed boundary and Message-ID for reproducible output (tests); random by default. */
  readonly boundary?: string;
  readonly messageId?: string;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 5322 §3.3 date-time in UTC: "Thu, 01 Jan 2026 12:00:00 +0000". */
export function rfc5322Date(ms: number): string {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return (
    `${DAYS[d.getUTCDay()]}, ${p(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`
  );
}

/** RFC 3461 §4.3: RET wins when given; otherwise the configured default. "none" always wins. */
export function inlineFor(ret: 'FULL' | 'HDRS' | undefined, configured: InlineOriginal): InlineOriginal {
  if (configured === 'none') return 'none';
  if (ret === 'FULL') return 'all';
  if (ret === 'HDRS') return 'headers';
  return configured;
}

/**
 * The Status field (RFC 3464 §2.3.4): the reply's enhanced code, else one derived from the basic
 * code. A failed recipient always gets class 5, a delayed one class 4 (RFC 3463 §3.1).
 */
export function dsnStatus(reply: ReplyData, action: DsnAction): string {
  const base = reply.enhanced ?? `${String(reply.code).charAt(0)}.0.0`;
  const rest = base.slice(1);
  if (action === 'failed') return `5${rest}`;
  if (action === 'delayed') return `4${rest}`;
  if (action === 'delivered' || action === 'relayed' || action === 'expanded') return `2${rest}`;
  return base;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: the complement of all US-ASCII, controls included
const NON_ASCII = /[^\x00-\x7f]/;

/**
 * An address as an RFC 3464 address-type; value pair. A UTF-8 address uses the "utf-8" type of
 * RFC 6533 §3 with non-ASCII (and "\", "+", "=", controls) as embedded-unicode \x{HEX}, so the part
 * stays 7-bit message/delivery-status.
 */
export function addressField(address: string): string {
  if (!NON_ASCII.test(address)) return `rfc822;${address}`;
  let out = '';
  for (const ch of address) {
    const cp = ch.codePointAt(0)!;
    out +=
      cp > 0x7e || cp < 0x21 || ch === '\\' || ch === '+' || ch === '=' ? `\\x{${cp.toString(16).toUpperCase()}}` : ch;
  }
  return `utf-8;${out}`;
}

/**
 * An address for message/global-delivery-status (RFC 6533 §3, utf-8-addr-unitext): UTF-8 as it
 * is; only "\\", "+", "=", space and controls as embedded-unicode \x{HEX}.
 */
export function globalAddressField(address: string): string {
  if (!NON_ASCII.test(address)) return `rfc822;${address}`;
  let out = '';
  for (const ch of address) {
    const cp = ch.codePointAt(0)!;
    out +=
      cp < 0x21 || cp === 0x7f || ch === '\\' || ch === '+' || ch === '='
        ? `\\x{${cp.toString(16).toUpperCase()}}`
        : ch;
  }
  return `utf-8;${out}`;
}

/** A header field folded at spaces before 78 columns (RFC 5322 §2.2.3). */
function field(name: string, value: string): string {
  const words = `${name}: ${value}`.split(' ');
  const lines: string[] = [];
  let cur = '';
  for (const w of words) {
    if (cur !== '' && cur.length + 1 + w.length > 78) {
      lines.push(cur);
      cur = ` ${w}`;
    } else cur = cur === '' ? w : `${cur} ${w}`;
  }
  lines.push(cur);
  return lines.join('\r\n');
}

/** The header block of a message: up to (not including) the first empty line, CRLF line ends. */
export function headerBlock(message: Buffer): Buffer {
  const crlf = message.indexOf('\r\n\r\n');
  if (crlf >= 0) return message.subarray(0, crlf + 2);
  const lf = message.indexOf('\n\n');
  return lf >= 0
    ? Buffer.from(
        message
          .subarray(0, lf + 1)
          .toString('latin1')
          .replace(/\r?\n/g, '\r\n'),
        'latin1',
      )
    : message;
}

function crlf(b: Buffer): Buffer {
  const s = b.toString('latin1');
  return /(^|[^\r])\n/.test(s) ? Buffer.from(s.replace(/\r?\n/g, '\r\n'), 'latin1') : b;
}

function human(input: DsnInput): string {
  const failed = input.recipients.filter((r) => r.action === 'failed');
  const delayed = input.recipients.filter((r) => r.action === 'delayed');
  const relayed = input.recipients.filter((r) => r.action === 'relayed' || r.action === 'delivered');
  const lines = [`This is the mail system at host ${input.reportingMta}.`, ''];
  if (relayed.length > 0) {
    lines.push(
      'Your message was successfully relayed to the recipients below. The next',
      'mail system does not offer delivery notifications, so this is the last',
      'report you will receive for them.',
      '',
    );
  }
  if (failed.length > 0) {
    lines.push(
      "I'm sorry to have to inform you that your message could not",
      'be delivered to one or more recipients. It is attached below.',
      '',
    );
  }
  if (delayed.length > 0) {
    lines.push(
      'Your message could not be delivered yet to one or more recipients.',
      'The mail system will keep trying; you do not need to resend it.',
      '',
    );
  }
  for (const r of input.recipients) {
    lines.push(`<${r.address}>${r.remoteMta ? ` (host ${r.remoteMta})` : ''}: ${formatReply(r.reply)}`);
    if (r.willRetryUntil !== undefined) lines.push(`    will retry until ${rfc5322Date(r.willRetryUntil)}`);
  }
  if (input.originalId) lines.push('', `Original message id: ${input.originalId}`);
  return `${lines.map((l) => wrap(l)).join('\r\n')}\r\n`;
}

/** Wraps a text line at spaces before 78 columns; continuation lines are indented. */
function wrap(line: string): string {
  return field('x', line).slice(3).replace(/\r\n /g, '\r\n    ');
}

/** True when a recipient block would name a UTF-8 address (Final- or Original-Recipient). */
function hasUtf8Address(input: DsnInput): boolean {
  return input.recipients.some((r) => NON_ASCII.test(r.address) || (r.orcpt !== undefined && NON_ASCII.test(r.orcpt)));
}

function statusPart(input: DsnInput, global: boolean): string {
  const address = global ? globalAddressField : addressField;
  const msg = [field('Reporting-MTA', `dns; ${input.reportingMta}`)];
  // RFC 3464 §2.2.1: the ENVID is xtext-encoded on the wire and presented decoded here.
  if (input.envid !== undefined) msg.push(field('Original-Envelope-Id', input.envid));
  msg.push(field('Arrival-Date', rfc5322Date(input.arrivalDate)));
  const blocks = input.recipients.map((r) => {
    const f: string[] = [];
    if (r.orcpt) f.push(field('Original-Recipient', r.orcpt.replace(/^([^;]+);\s*/, '$1;')));
    f.push(field('Final-Recipient', address(r.address)));
    f.push(field('Action', r.action));
    f.push(field('Status', dsnStatus(r.reply, r.action)));
    if (r.remoteMta) f.push(field('Remote-MTA', `dns; ${r.remoteMta}`));
    f.push(field('Diagnostic-Code', `smtp; ${formatReply(r.reply)}`));
    if (r.lastAttemptAt !== undefined) f.push(field('Last-Attempt-Date', rfc5322Date(r.lastAttemptAt)));
    if (r.willRetryUntil !== undefined) f.push(field('Will-Retry-Until', rfc5322Date(r.willRetryUntil)));
    return f.join('\r\n');
  });
  return `${[msg.join('\r\n'), ...blocks].join('\r\n\r\n')}\r\n`;
}

/** Renders the DSN message (headers and body), CRLF line ends. */
export function renderDsn(input: DsnInput): Buffer {
  const boundary = input.boundary ?? `${input.date}.${randomBytes(8).toString('hex')}/${input.reportingMta}`;
  const messageId = input.messageId ?? `${input.date}.${randomBytes(6).toString('hex')}@${input.reportingMta}`;
  const delayOnly = input.recipients.every((r) => r.action === 'delayed');
  const successOnly = input.recipients.every((r) => r.action === 'relayed' || r.action === 'delivered');
  const humanText = human(input);
  const humanUtf8 = NON_ASCII.test(humanText);
  // RFC 6533 §4: the status part goes global when it names UTF-8 addresses, sent as they are.
  const globalStatus = hasUtf8Address(input);
  const parts: Buffer[] = [];
  const text = (s: string): Buffer => Buffer.from(s, 'utf8');
  let eightBit = globalStatus;
  parts.push(text(`--${boundary}\r\nContent-Description: Notification\r\nContent-Type: text/plain; charset=utf-8\r\n`));
  parts.push(
    humanUtf8
      ? text(
          `Content-Transfer-Encoding: base64\r\n\r\n${(
            Buffer.from(humanText, 'utf8')
              .toString('base64')
              .match(/.{1,76}/g) ?? []
          ).join('\r\n')}\r\n\r\n`,
        )
      : text(`Content-Transfer-Encoding: 7bit\r\n\r\n${humanText}\r\n`),
  );
  const statusType = globalStatus
    ? 'message/global-delivery-status\r\nContent-Transfer-Encoding: 8bit'
    : 'message/delivery-status';
  parts.push(
    text(
      `--${boundary}\r\nContent-Description: Delivery report\r\nContent-Type: ` +
        `${statusType}\r\n\r\n${statusPart(input, globalStatus)}\r\n`,
    ),
  );
  if (input.include !== 'none' && input.original) {
    const full = input.include === 'all';
    const original = full ? crlf(input.original) : headerBlock(input.original);
    // message/* allows only 7bit, 8bit or binary (RFC 2046 §5.2.1): say which.
    const partEightBit = NON_ASCII.test(original.toString('latin1'));
    // RFC 6533 §4 / RFC 6532 §3.7: UTF-8 header fields make the original message/global, its
    // header block message/global-headers; 8-bit only in a body keeps message/rfc822.
    const utf8Headers = NON_ASCII.test((full ? headerBlock(original) : original).toString('latin1'));
    const type = full
      ? utf8Headers
        ? 'message/global'
        : 'message/rfc822'
      : utf8Headers
        ? 'message/global-headers'
        : 'text/rfc822-headers';
    const desc = full ? 'Undelivered Message' : 'Undelivered Message Headers';
    eightBit ||= partEightBit;
    parts.push(
      text(
        `--${boundary}\r\nContent-Description: ${desc}\r\nContent-Type: ${type}\r\nContent-Transfer-Encoding: ` +
          `${partEightBit ? '8bit' : '7bit'}\r\n\r\n`,
      ),
    );
    parts.push(original);
    if (!original.subarray(-2).equals(Buffer.from('\r\n'))) parts.push(text('\r\n'));
    parts.push(text('\r\n'));
  }
  parts.push(text(`--${boundary}--\r\n`));
  const head = [
    field('From', `Mail Delivery System <${input.from}>`),
    field('To', `<${input.to}>`),
    field(
      'Subject',
      delayOnly
        ? 'Delayed Mail (still being retried)'
        : successOnly
          ? 'Successful Mail Delivery Report'
          : 'Undelivered Mail Returned to Sender',
    ),
    field('Date', rfc5322Date(input.date)),
    field('Message-ID', `<${messageId}>`),
    // RFC 3834 §5: an automatic reply; RFC 3464 §3 says nothing may answer it with another DSN.
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    // RFC 6522 §3: report-type is the subtype of the second part.

    `Content-Type: multipart/report; ` +
      `report-type=${globalStatus ? 'global-delivery-status' : 'delivery-status'};\r\n\tboundary="${boundary}"`,
    // RFC 2045 §6.4: a multipart is 8bit when any of its parts is.
    `Content-Transfer-Encoding: ${eightBit ? '8bit' : '7bit'}`,
  ];
  return Buffer.concat([text(`${head.join('\r\n')}\r\n\r\nThis is a MIME-encapsulated message.\r\n\r\n`), ...parts]);
}

/** True when the DSN body holds 8-bit data (the envelope must then say 8BITMIME). */
export function isEightBit(dsn: Buffer): boolean {
  return NON_ASCII.test(dsn.toString('latin1'));
}
