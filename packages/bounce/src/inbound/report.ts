/**
 * Reads one message that came back to a return-path domain and says what it is: a bounce
 * (RFC 3464 DSN or a text bounce), an auto-reply, an RFC 5965 complaint, or unparsed; which
 * original message and recipient it is about (the VERP address first, then the returned original's
 * headers); and the bounce class of each failed recipient. Pure: no I/O, never throws on input.
 */
import type { InboundReportData, InboundReportRecipient, ReplyData } from '@petrel/core';
import { complaintIn, type FeedbackReport } from './arf.js';
import { autoReplyReason } from './auto-reply.js';
import { looksLikeDeliveryStatus, parseDeliveryStatus, type DsnRecipientFields } from './delivery-status.js';
import {
  addressIn,
  decodeWords,
  header,
  headerAll,
  parseMime,
  textOf,
  walk,
  type HeaderField,
  type MimePart,
} from './mime.js';
import { parseTextBounce, type TextBounce, type TextBounceEntry } from './text-bounce.js';
import { dsnReply, stageOf, textReply } from './recipient-reply.js';
import { parseVerp, type VerpInfo, type VerpOptions } from '@petrel/core';

/** What a returned message is. */
export type ReportKind = 'bounce' | 'auto_reply' | 'feedback' | 'unparsed';

/** How it was read: the structure that carried it. */
export type ReportFormat =
  | 'rfc3464'
  | 'arf'
  | 'jmrp'
  | 'rfc3834'
  | 'qmail'
  | 'exim'
  | 'postfix'
  | 'sendmail'
  | 'exchange'
  | 'text'
  | 'none';

/**
 * One recipient a report is about (core's InboundReportRecipient, the bus contract): the recipient
 * Petrel sent to (the VERP address's, else Original-Recipient, else Final-Recipient), a different
 * Final-Recipient (a forward), the Action (RFC 3464 §2.3.3), the reply (Diagnostic-Code, else Status,
 * else the reason text) and its bounce class (absent for complaints).
 */
export type ReportRecipient = InboundReportRecipient;

/** A read report: core's InboundReportData with the parser's own narrower types. */
export interface InboundReport extends InboundReportData {
  readonly kind: ReportKind;
  readonly format: ReportFormat;
  /** Where `messageId` (the original's Petrel id) came from. */
  readonly tiedBy?: 'verp' | 'received' | 'x-petrel-id';
  readonly verp?: VerpInfo;
  readonly feedback?: FeedbackReport;
}

export interface ReportContext {
  /** RCPT TO addresses of the transaction that brought it. */
  readonly envelopeRecipients: readonly string[];
  /** Lower-cased return-path domains. */
  readonly returnPathDomains: ReadonlySet<string>;
  readonly verp: VerpOptions;
  /** Petrel's hostname, to find its own Received: id in a returned original. */
  readonly hostname: string;
  /**
   * The classifier (Classifier.classify of @petrel/bounce); `stage` is the Momentum stage (@petrel/core
   * Stage) when the report names the command the reply answered.
   */
  readonly classify: (
    reply: ReplyData | string,
    domain: string,
    stage?: number,
  ) => { readonly code: number; readonly name: string };
}

/** Momentum class 60: an auto-reply is not a failure. */
export const AUTO_REPLY_CLASS = { code: 60, name: 'Auto-Reply' } as const;
/** Momentum class 24: a message that expired in a queue (what Petrel's own expiry records too). */
const EXPIRED_CLASS = { code: 24, name: 'Timeout' } as const;
/** Momentum class 70: a transient failure, which says nothing more than "try again". */
const TRANSIENT_CLASS = 70;

/**
 * A recipient the report calls `failed` whose last reply was transient: that MTA stopped retrying, its
 * queue lifetime ran out (RFC 3464 §2.3.3 "failed" beside a 4.x.x Status, §2.3.4). "Transient Failure"
 * (70) would tell the operator to wait; it expired (24), as Petrel's own expiry records. A more
 * precise Soft class (a full mailbox, a DNS failure) is kept.
 */
function expiredIfGivenUp(
  failed: boolean,
  reply: ReplyData,
  c: { bounceClass: number; bounceClassName: string },
): { bounceClass: number; bounceClassName: string } {
  return failed && reply.code >= 400 && reply.code < 500 && c.bounceClass === TRANSIENT_CLASS
    ? { bounceClass: EXPIRED_CLASS.code, bounceClassName: EXPIRED_CLASS.name }
    : c;
}

const BOUNCE_FROM = /mailer-daemon|postmaster|mail delivery|mail administrator|microsoftexchange|bounce/i;
const BOUNCE_SUBJECT = new RegExp(
  [
    'undeliver|undelivered|delivery (status|has failed|failure|notification)|failure notice|returned mail',
    'mail delivery failed|delivery problem|could not be delivered|rejected',
    'non[- ]?remis|unzustellbar|nicht zustellbar|no se puede entregar|non recapitabile|niet bezorgd',
  ].join('|'),
  'i',
);

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

/** The embedded original (message/rfc822 or its headers) of a report, if it carries one. */
function returnedOriginal(root: MimePart): readonly HeaderField[] | undefined {
  for (const p of walk(root)) {
    if ((p.type === 'message/rfc822' || p.type === 'message/global' || p.type === 'text/rfc822-headers') && p.parts[0])
      return p.parts[0].headers;
  }
  return undefined;
}

/** Header fields of an original quoted inline in a text bounce (after "copy of the message" etc.). */
function inlineOriginal(text: string): readonly HeaderField[] | undefined {
  const m = /\n(?:Return-Path|Received|Message-ID|From|To):[^\n]*\n(?:[^\n]+\n)*/i.exec(text.replace(/\r\n/g, '\n'));
  if (!m) return undefined;
  return parseMime(Buffer.from(m[0].slice(1))).headers;
}

/** Petrel's id in a returned original: its own Received: line ("by <host> (Petrel) with … id X"), or X-Petrel-Id. */
function petrelIdIn(
  headers: readonly HeaderField[],
  hostname: string,
): { id: string; by: 'received' | 'x-petrel-id' } | undefined {
  const x = header(headers, 'x-petrel-id')?.trim();
  if (x && /^[0-9A-Za-z]{10,40}$/.test(x)) return { id: x.toUpperCase(), by: 'x-petrel-id' };
  const host = hostname.toLowerCase();
  for (const r of headerAll(headers, 'received')) {
    const m = /\bby\s+(\S+)\s+\(Petrel\)[^;]*?\bid\s+([0-9A-Za-z]{10,40})/i.exec(r);
    if (m && (host === '' || m[1]!.toLowerCase() === host)) return { id: m[2]!.toUpperCase(), by: 'received' };
  }
  return undefined;
}

/** Parses a returned message. `raw` is the message as received (header section first). */
export function parseInboundReport(raw: Buffer, ctx: ReportContext): InboundReport {
  let root: MimePart;
  try {
    root = parseMime(raw);
  } catch (err) {
    return {
      kind: 'unparsed',
      format: 'none',
      recipients: [],
      reason: `not a MIME message: ${(err as Error).message}`,
    };
  }
  const parts = walk(root);
  const subject = decodeWords(header(root.headers, 'subject') ?? '');
  const from = addressIn(header(root.headers, 'from'));
  const rpAddress = (a: string): boolean => ctx.returnPathDomains.has(domainOf(a));

  // Tie to the original: the VERP address it came to (envelope, then To:/Delivered-To:), then the
  // returned original's own headers (its Return-Path holds the VERP address; its Received: our id).
  const candidates = [
    ...ctx.envelopeRecipients,
    ...['delivered-to', 'x-original-to', 'to'].flatMap((h) => headerAll(root.headers, h).map(addressIn)),
  ];
  const original =
    returnedOriginal(root) ??
    inlineOriginal(
      parts
        .filter((p) => p.type === 'text/plain')
        .map(textOf)
        .join('\n'),
    );
  if (original) candidates.push(addressIn(header(original, 'return-path')));
  let verp: VerpInfo | undefined;
  for (const c of candidates) {
    const v = c ? parseVerp(ctx.verp, c, ctx.returnPathDomains) : undefined;
    if (v && (v.verified || !verp)) verp = v;
    if (verp?.verified) break;
  }
  const trusted = verp?.verified ? verp : undefined;
  const fromHeaders = original ? petrelIdIn(original, ctx.hostname) : undefined;
  const tie = {
    ...(trusted
      ? { messageId: trusted.messageId, tiedBy: 'verp' as const }
      : fromHeaders
        ? { messageId: fromHeaders.id, tiedBy: fromHeaders.by }
        : {}),
    ...(verp ? { verp } : {}),
    ...(original && header(original, 'message-id') ? { originalMessageId: header(original, 'message-id')! } : {}),
    ...(subject ? { subject } : {}),
    ...(from ? { from } : {}),
  };
  const classOf = (
    reply: ReplyData | string,
    address: string,
    stage?: number,
  ): { bounceClass: number; bounceClassName: string } => {
    const c = ctx.classify(reply, domainOf(address), stage);
    return { bounceClass: c.code, bounceClassName: c.name };
  };

  // The human part: the first text part outside the returned original (text bounces are read from
  // it, and DSN blocks that carry no SMTP reply take their reason from it).
  const bodyPart =
    parts.find((p) => p.type === 'text/plain' && !isInsideOriginal(root, p)) ??
    parts.find((p) => p.type === 'text/html' && !isInsideOriginal(root, p));
  const text = bodyPart ? htmlToText(textOf(bodyPart), bodyPart.type) : '';
  // The addresses the report went to and the original's senders are not failed recipients when a
  // sentence names them ("your message from x@y"); a listed address is one whatever it is.
  const senders = new Set(
    [
      ...['to', 'delivered-to', 'x-original-to', 'return-path'].flatMap((h) => headerAll(root.headers, h)),
      ...(original
        ? ['from', 'sender', 'reply-to', 'return-path', 'errors-to'].flatMap((h) => headerAll(original, h))
        : []),
    ]
      .map((v) => addressIn(v)?.toLowerCase())
      .filter((a): a is string => a !== undefined),
  );
  const ignore = (a: string, listed: boolean): boolean =>
    (!listed && senders.has(a.toLowerCase())) ||
    rpAddress(a) ||
    /^(postmaster|mailer-daemon|double-bounce)@/i.test(a) ||
    (from !== undefined && a.toLowerCase() === from.toLowerCase());
  // Read once: a DSN whose blocks name no recipient falls through to the text bounce below.
  let read: TextBounce | undefined;
  const readHuman = (): TextBounce => (read ??= parseTextBounce(text, ignore));
  // 1. Complaints. RFC 5965: multipart/report; report-type=feedback-report, or a message/feedback-report
  // part. Microsoft's JMRP (Outlook.com, Hotmail) also sends the reported message alone, its
  // recipient in an X-HmXmrOriginalRecipient field, under "complaint about message from <ip>".
  const complaint = complaintIn(parts, original, subject);
  if (complaint) {
    const { feedback, format } = complaint;
    // Each reported recipient is one complaint (RFC 5965 §3.2: Original-Rcpt-To may repeat); a
    // verified VERP address names the one recipient the report is about.
    const named = feedback.originalRcptTo.filter(
      (a, i, all) => all.findIndex((b) => b.toLowerCase() === a.toLowerCase()) === i,
    );
    const fallback = verp?.recipient ?? (original ? addressIn(header(original, 'to')) : undefined);
    const rcpts = trusted ? [trusted.recipient] : named.length > 0 ? named : fallback ? [fallback] : [];
    const recipients: ReportRecipient[] = rcpts.map((address) => ({
      address,
      action: 'complained',
      reply: { code: 550, lines: [`feedback ${feedback.feedbackType}`] },
    }));
    return { kind: 'feedback', format, ...tie, recipients, feedback };
  }

  // 2. RFC 3464 (and RFC 6533) DSN: a delivery-status part, or the same fields in a text part.
  const statusPart =
    parts.find((p) => p.type === 'message/delivery-status' || p.type === 'message/global-delivery-status') ??
    parts.find((p) => p.type.startsWith('text/') && !isInsideOriginal(root, p) && looksLikeDeliveryStatus(textOf(p)));
  if (statusPart) {
    const ds = parseDeliveryStatus(textOf(statusPart));
    const blocks = ds.recipients.filter((r) => r.finalRecipient || r.originalRecipient || trusted);
    if (blocks.length > 0) {
      // The human part explains what the fields do not: the reason when a block has no SMTP reply,
      // and the command a reply answered (Exim writes "after MAIL FROM:" only there).
      const human = new Map((text ? readHuman().entries : []).map((e) => [e.address.toLowerCase(), e]));
      const humanFor = (r: DsnRecipientFields): TextBounceEntry | undefined =>
        human.get((r.originalRecipient ?? '').toLowerCase()) ??
        human.get((r.finalRecipient ?? '').toLowerCase()) ??
        (blocks.length === 1 && human.size === 1 ? [...human.values()][0] : undefined);
      const recipients = blocks.map((r): ReportRecipient => {
        const named = r.originalRecipient ?? r.finalRecipient ?? '';
        // One VERP address = one recipient: when the report names one, it is that recipient.
        const address = trusted && blocks.length === 1 ? trusted.recipient : named || (trusted?.recipient ?? '');
        const told = humanFor(r);
        const { reply, basis } = dsnReply(r, told);
        return {
          address,
          ...(r.finalRecipient && r.finalRecipient.toLowerCase() !== address.toLowerCase()
            ? { finalRecipient: r.finalRecipient }
            : {}),
          action: r.action ?? (reply.code >= 500 ? 'failed' : reply.code >= 400 ? 'delayed' : 'delivered'),
          reply,
          ...expiredIfGivenUp(r.action === 'failed', reply, classOf(basis, address, stageOf(told))),
          ...(r.remoteMta !== undefined ? { remoteMta: r.remoteMta } : {}),
        };
      });
      return { kind: 'bounce', format: 'rfc3464', ...tie, recipients };
    }
  }

  // 3. Auto-replies (RFC 3834), before text bounces: a vacation notice quotes no failure.
  const auto = autoReplyReason(root.headers);
  const looksBounce = BOUNCE_FROM.test(header(root.headers, 'from') ?? '') || BOUNCE_SUBJECT.test(subject);
  if (auto && !looksBounce) {
    const address = trusted?.recipient ?? verp?.recipient ?? from ?? '';
    const reply: ReplyData = { code: 250, lines: [auto] };
    return {
      kind: 'auto_reply',
      format: 'rfc3834',
      ...tie,
      reason: auto,
      recipients: address
        ? [
            {
              address,
              action: 'auto-replied',
              reply,
              bounceClass: AUTO_REPLY_CLASS.code,
              bounceClassName: AUTO_REPLY_CLASS.name,
            },
          ]
        : [],
    };
  }

  // 4. Text bounces (Exim, qmail, Postfix, sendmail, Exchange, …): read from the human part (above).
  if (text && (looksBounce || ctx.envelopeRecipients.length > 0)) {
    const tb = readHuman();
    // A bounce that names no address is still about the one recipient a verified VERP address names.
    let entries =
      trusted && tb.entries.length === 0 && tb.unaddressed && looksBounce
        ? [{ ...tb.unaddressed, address: trusted.recipient }]
        : tb.entries;
    // The VERP address names the one recipient; keep the entry about it (or the only one).
    if (trusted && entries.length > 0) {
      // Else the entry with a reply code (or the first): the address the bounce names may be a
      // forward or an alias of the recipient the VERP address names.
      const mine =
        entries.find((e) => e.address.toLowerCase() === trusted.recipient.toLowerCase()) ??
        entries.find((e) => e.smtp) ??
        entries[0];
      entries = mine ? [{ ...mine, address: trusted.recipient }] : [];
    }
    const useful = entries.filter((e) => e.smtp || e.reason !== '');
    if (useful.length > 0 && (looksBounce || useful.some((e) => e.smtp))) {
      const recipients = useful.map((e): ReportRecipient => {
        const { reply, basis } = textReply(e);
        return {
          address: e.address,
          action: reply.code >= 500 ? 'failed' : 'delayed',
          reply,
          ...classOf(basis, e.address, stageOf(e)),
        };
      });
      return { kind: 'bounce', format: tb.format, ...tie, recipients };
    }
  }
  // 5. Kept, with the reason (never silently dropped).
  const reason = !text
    ? 'no readable text part'
    : looksBounce
      ? 'looks like a bounce but names no failed recipient'
      : 'not a bounce, auto-reply or complaint';
  return { kind: 'unparsed', format: 'none', ...tie, recipients: [], reason };
}

function isInsideOriginal(root: MimePart, target: MimePart): boolean {
  const inside = (p: MimePart, within: boolean): boolean => {
    if (p === target) return within;
    const embedded = within || p.type === 'message/rfc822' || p.type === 'message/global';
    return p.parts.some((c) => inside(c, embedded));
  };
  return inside(root, false);
}

function htmlToText(text: string, type: string): string {
  if (type !== 'text/html') return text;
  return text
    .replace(/<(br|p|div|tr|li)[^>]*>/gi, '\n')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/&nbsp;/g, ' ');
}
