/**
 * RFC 3464 §2 delivery-status fields (and RFC 6533 message/global-delivery-status): one block of
 * per-message fields, then one block per recipient, blocks separated by empty lines. Also read
 * when an MTA sends the same fields as text/plain (some do): the structure, not the label, decides.
 */
import { parseHeaderBlock, addressIn, type HeaderField } from './mime.js';

/** One per-recipient block (RFC 3464 §2.3). */
export interface DsnRecipientFields {
  readonly finalRecipient?: string;
  readonly originalRecipient?: string;
  /** failed, delayed, delivered, relayed, expanded (lower-cased). */
  readonly action?: string;
  /** RFC 3463 status, e.g. "5.1.1". */
  readonly status?: string;
  /** A Status field that holds an SMTP reply instead of a status ("553 Exceeded maximum …"). */
  readonly statusReply?: string;
  /** The Diagnostic-Code text without its type ("smtp;", "X-Postfix;"). */
  readonly diagnostic?: string;
  /** The Diagnostic-Code type as written, lower-cased ("smtp", "x-postfix"). */
  readonly diagnosticType?: string;
  readonly remoteMta?: string;
}

export interface DeliveryStatus {
  readonly reportingMta?: string;
  readonly envelopeId?: string;
  readonly recipients: readonly DsnRecipientFields[];
}

function field(block: readonly HeaderField[], name: string): string | undefined {
  return block.find((f) => f.name === name)?.value;
}

/** "type; value" → value (RFC 3464 §2.1.2 address-type / diagnostic-type). */
function typed(value: string | undefined): { type?: string; value?: string } {
  if (value === undefined) return {};
  const m = /^\s*([A-Za-z0-9-]+)\s*;\s*([\s\S]*)$/.exec(value);
  return m ? { type: m[1]!.toLowerCase(), value: m[2]!.trim() } : { value: value.trim() };
}

/** Splits the fields into blocks at empty lines (RFC 3464 §2.1: CRLF separates the groups). */
function blocks(text: string): HeaderField[][] {
  return text
    .replace(/\r\n/g, '\n')
    .split(/\n[ \t]*\n/)
    .map((b) => parseHeaderBlock(b))
    .filter((b) => b.length > 0);
}

/** The status "5.1.1" in a Status field such as "5.1.1 (bad destination mailbox)". */
function statusOf(value: string | undefined): string | undefined {
  return value ? /\b([245]\.\d{1,3}\.\d{1,3})\b/.exec(value)?.[1] : undefined;
}

/**
 * The Action field as RFC 3464 §2.3.3 names it: some MTAs write "failure" or "error" (OpenSMTPD,
 * X.400 gateways) for "failed", "delay" for "delayed".
 */
function actionOf(value: string): string {
  const a = value.trim().toLowerCase().split(/\s/)[0] ?? '';
  if (/^(fail|failure|error|undeliver)/.test(a)) return 'failed';
  if (/^delay/.test(a)) return 'delayed';
  return a;
}

/** Parses the fields; recipients are the blocks that name a recipient or carry an Action/Status. */
export function parseDeliveryStatus(text: string): DeliveryStatus {
  const all = blocks(text);
  let reportingMta: string | undefined;
  let envelopeId: string | undefined;
  const recipients: DsnRecipientFields[] = [];
  for (const block of all) {
    const final = field(block, 'final-recipient') ?? field(block, 'x-actual-recipient');
    const action = field(block, 'action');
    const status = field(block, 'status');
    if (final === undefined && action === undefined && status === undefined) {
      reportingMta ??= typed(field(block, 'reporting-mta')).value;
      envelopeId ??= field(block, 'original-envelope-id');
      continue;
    }
    const diag = typed(field(block, 'diagnostic-code'));
    const r: DsnRecipientFields = {
      ...(addressIn(final) !== undefined ? { finalRecipient: addressIn(final) } : {}),
      ...(addressIn(field(block, 'original-recipient')) !== undefined
        ? { originalRecipient: addressIn(field(block, 'original-recipient')) }
        : {}),
      ...(action !== undefined ? { action: actionOf(action) } : {}),
      ...(statusOf(status) !== undefined ? { status: statusOf(status) } : {}),
      ...(status !== undefined && /^\s*[245]\d\d\s/.test(status) ? { statusReply: status.trim() } : {}),
      ...(diag.value !== undefined && diag.value !== '' ? { diagnostic: diag.value } : {}),
      ...(diag.type !== undefined ? { diagnosticType: diag.type } : {}),
      ...(typed(field(block, 'remote-mta')).value !== undefined
        ? { remoteMta: typed(field(block, 'remote-mta')).value }
        : {}),
    };
    recipients.push(r);
  }
  return {
    ...(reportingMta !== undefined ? { reportingMta } : {}),
    ...(envelopeId !== undefined ? { envelopeId } : {}),
    recipients,
  };
}

/** Does this text look like delivery-status fields (an MTA that labelled them text/plain)? */
export function looksLikeDeliveryStatus(text: string): boolean {
  return /^(Final-Recipient|Original-Recipient)\s*:/im.test(text) && /^(Action|Status)\s*:/im.test(text);
}
