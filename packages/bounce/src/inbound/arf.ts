/**
 * Complaints. RFC 5965 Abuse Reporting Format: multipart/report; report-type=feedback-report, whose
 * second part (message/feedback-report) holds the fields below and whose third part is the
 * reported message or its headers (§2). Feedback-Type values: abuse, fraud, virus, other, not-spam
 * (RFC 6430), auth-failure (RFC 6591); an unknown type is kept as written. Microsoft's JMRP
 * (Outlook.com, Hotmail) also sends the reported message alone, its recipient in an
 * X-HmXmrOriginalRecipient field, under the subject "complaint about message from <ip>".
 */
import { addressIn, header, headerAll, parseHeaderBlock, textOf, type HeaderField, type MimePart } from './mime.js';

export interface FeedbackReport {
  /** Lower-cased Feedback-Type; "abuse" when the field is missing (the common case of sloppy reports). */
  readonly feedbackType: string;
  readonly userAgent?: string;
  readonly version?: string;
  readonly originalMailFrom?: string;
  /** Original-Rcpt-To addresses (RFC 5965 §3.2: may repeat). */
  readonly originalRcptTo: readonly string[];
  readonly arrivalDate?: string;
  readonly sourceIp?: string;
  readonly reportedDomain?: string;
  readonly reportingMta?: string;
}

/** Parses a message/feedback-report body. */
export function parseFeedbackReport(text: string): FeedbackReport {
  const fields = parseHeaderBlock(text.replace(/\r?\n[ \t]*\r?\n/g, '\n'));
  const one = (n: string): string | undefined => header(fields, n);
  const opt = (key: string, v: string | undefined): Record<string, string> => (v !== undefined ? { [key]: v } : {});
  const rcpts = headerAll(fields, 'original-rcpt-to')
    .map((v) => addressIn(v) ?? v.trim())
    .filter((v) => v.includes('@'));
  return {
    feedbackType: (one('feedback-type') ?? 'abuse').trim().toLowerCase().split(/[\s;]/)[0] || 'abuse',
    originalRcptTo: rcpts,
    ...opt('userAgent', one('user-agent')),
    ...opt('version', one('version')),
    ...opt('originalMailFrom', addressIn(one('original-mail-from')) ?? one('original-mail-from')),
    ...opt('arrivalDate', one('arrival-date') ?? one('received-date')),
    ...opt('sourceIp', one('source-ip')),
    ...opt('reportedDomain', one('reported-domain')),
    ...opt('reportingMta', one('reporting-mta')?.replace(/^\s*[A-Za-z0-9-]+\s*;\s*/, '')),
  };
}

/** The complaint a report carries (ARF, or Microsoft's JMRP form), if it is one. */
export function complaintIn(
  parts: readonly MimePart[],
  original: readonly HeaderField[] | undefined,
  subject: string,
): { feedback: FeedbackReport; format: 'arf' | 'jmrp' } | undefined {
  const fbPart = parts.find((p) => p.type === 'message/feedback-report');
  if (fbPart) return { feedback: parseFeedbackReport(textOf(fbPart)), format: 'arf' };
  if (!original || !/complaint about message/i.test(subject)) return undefined;
  const rcpt = addressIn(header(original, 'x-hmxmroriginalrecipient'));
  if (!rcpt) return undefined;
  const ip = /complaint about message from \[?([0-9A-Fa-f.:]+)/.exec(subject)?.[1];
  return {
    feedback: {
      feedbackType: 'abuse',
      originalRcptTo: [rcpt],
      userAgent: 'Microsoft JMRP',
      ...(ip ? { sourceIp: ip } : {}),
    },
    format: 'jmrp',
  };
}
