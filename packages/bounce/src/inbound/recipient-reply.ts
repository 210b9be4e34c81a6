/**
 * One failed recipient's reply as a report gives it: what is recorded (an SMTP reply) and what is
 * classified (the reply, or the reason's words alone when the report gives no reply code), and the
 * SMTP command the reply answered when the report's words name it.
 */
import { Stage, type ReplyData } from '@petrel/core';
import { replyStage } from '../reply-text.js';
import type { DsnRecipientFields } from './delivery-status.js';
import type { TextBounceEntry } from './text-bounce.js';

/**
 * What a recipient's reply is classified as: the SMTP reply, or the reason text alone when the
 * report gives no reply code (a code made up from the action would make any text a 5xx refusal).
 */
export interface ReadReply {
  readonly reply: ReplyData;
  readonly basis: ReplyData | string;
}

const SMTP_REPLY = /^([2-5]\d\d)(?:[ -]+(?:#?([245]\.\d{1,3}\.\d{1,3})\b)?)?\s*(.*)$/;
/** A diagnostic that quotes the remote reply inside an MTA's words ("host mx[ip] said: 550 …"). */
const QUOTES_REPLY = /(?:^|[\s:;(])[45]\d\d[ -]/;

/** A block's Diagnostic-Code (or a Status field that holds a reply), whitespace collapsed. */
function diagnosticOf(r: DsnRecipientFields): string | undefined {
  return (r.diagnostic ?? r.statusReply)?.replace(/\s+/g, ' ').trim();
}

/**
 * A DSN recipient block as one SMTP reply (RFC 3464 §2.3.6 Diagnostic-Code, §2.3.4 Status). A
 * block without an SMTP reply in its Diagnostic-Code (none, an X.400 diagnostic, a status-only
 * report such as OpenSMTPD's) takes the reason the human part of the report gives the same
 * recipient, which is where such MTAs explain the failure.
 */
export function dsnReply(r: DsnRecipientFields, human: TextBounceEntry | undefined): ReadReply {
  const diag = diagnosticOf(r);
  const m = diag ? SMTP_REPLY.exec(diag) : null;
  if (m) {
    const enhanced = m[2] ?? r.status;
    const reply = { code: Number(m[1]), ...(enhanced ? { enhanced } : {}), lines: [m[3] ?? ''] };
    return { reply, basis: reply };
  }
  // A diagnostic that quotes the remote reply in an MTA's words is the better account of it.
  const quotes = diag !== undefined && QUOTES_REPLY.test(diag);
  if (!quotes && human?.smtp) {
    const reply = textReply(human).reply;
    const withStatus = reply.enhanced || !r.status ? reply : { ...reply, enhanced: r.status };
    return { reply: withStatus, basis: withStatus };
  }
  const status = r.status;
  const cls = status?.[0] ?? (r.action === 'delayed' ? '4' : r.action === 'failed' ? '5' : '2');
  const code = cls === '5' ? 550 : cls === '4' ? 450 : 250;
  const told = quotes ? undefined : human?.reason;
  // The human part often repeats the diagnostic: one of them is enough.
  const text = !diag ? told : !told || diag.includes(told) ? diag : told.includes(diag) ? told : `${diag} ${told}`;
  const reply = { code, ...(status ? { enhanced: status } : {}), lines: [text || r.action || ''] };
  // With a status the reply is that status's; without one only the words say what happened.
  return { reply, basis: status ? reply : text || reply };
}

/**
 * The reply is cut out of the bounce's words, but the command they name still counts: a refusal
 * "after MAIL FROM" refuses the sender, not the recipient (RFC 5321 §3.3).
 */
export function stageOf(e: TextBounceEntry | undefined): number | undefined {
  return e && replyStage(e.reason) === 'mail' ? Stage.DURING_MAIL_FROM : undefined;
}

export function textReply(e: TextBounceEntry): ReadReply {
  if (e.smtp) {
    const rest = e.smtp.text.replace(/^\d{3}[ -]?\s*(#?[245]\.\d{1,3}\.\d{1,3}\s*)?/, '');
    const reply = {
      code: e.smtp.code,
      ...(e.smtp.enhanced ? { enhanced: e.smtp.enhanced } : {}),
      lines: [rest || e.reason],
    };
    return { reply, basis: reply };
  }
  // A transient failure stays a 4xx for the classifier (never a Block class, RFC 5321 §4.2.1).
  const reply = { code: e.transient ? 450 : 550, lines: [e.reason] };
  return { reply, basis: e.transient ? reply : e.reason };
}
