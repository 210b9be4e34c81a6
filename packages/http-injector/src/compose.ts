/**
 * Builds the messages of one request: per-recipient substitutions, then nodemailer's MIME
 * composer (nodemailer/lib/mail-composer) for content parts, or the raw message with CRLF line
 * ends. Substitution rules (docs/http-api.md "Substitutions"):
 *
 * - `{{name}}` in `subject`, `to`, header values, `text` and `html` takes the recipient's value
 *   (its own substitutions over the request's).
 * - In `html` the value is HTML-escaped (& < > " '); `{{{name}}}` inserts it unescaped.
 * - In `subject`, `to` and header values every control character (CR and LF included) becomes a
 *   space, so a value cannot add a header field; non-ASCII is RFC 2047-encoded by the composer.
 * - In `text` the value is inserted as it is.
 * - `from`, `reply_to` and attachments are never substituted. A name without a value is a 422.
 */
import { randomBytes } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import type { InjectRecipient, PartsContent, SubstitutionValue } from './inject-request.js';
import { HttpProblem, type FieldError } from './problem.js';

const TOKEN = /\{\{\{\s*([A-Za-z0-9_.-]{1,64})\s*\}\}\}|\{\{\s*([A-Za-z0-9_.-]{1,64})\s*\}\}/g;

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export type Escape = 'html' | 'header' | 'none';

/** Replaces `{{name}}` (and in html `{{{name}}}`) in `template`; missing names are added to `missing`. */
export function substitute(
  template: string,
  values: Readonly<Record<string, SubstitutionValue>>,
  mode: Escape,
  missing: Set<string>,
): string {
  return template.replace(TOKEN, (whole, triple: string | undefined, double: string | undefined) => {
    const name = (triple ?? double)!;
    const v = values[name];
    if (v === undefined) {
      missing.add(name);
      return whole;
    }
    const text = String(v);
    if (mode === 'header') return headerSafe(text);
    if (mode === 'html' && triple === undefined) return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
    return text;
  });
}

/** Control characters (CR, LF, TAB, DEL, C1) become spaces: a value cannot start a new header field. */
function headerSafe(s: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: replacing control characters is the point
  return s.replace(/[\x00-\x1f\x7f-\x9f]/g, ' ');
}

/** The message for one recipient from content parts; throws 422 naming substitutions that have no value. */
export async function composeParts(content: PartsContent, rcpt: InjectRecipient, index: number): Promise<Buffer> {
  const missing = new Set<string>();
  const sub = (s: string | undefined, e: Escape): string | undefined =>
    s === undefined ? undefined : substitute(s, rcpt.substitutions, e, missing);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(content.headers)) headers[k] = sub(v, 'header')!;
  const mail = {
    from: content.from,
    to: sub(content.to, 'header') ?? rcpt.address,
    subject: sub(content.subject, 'header'),
    text: sub(content.text, 'none'),
    html: sub(content.html, 'html'),
    headers,
    attachments: content.attachments.map((a) => ({
      filename: a.filename,
      content: a.content,
      ...(a.contentType ? { contentType: a.contentType } : {}),
    })),
    ...(content.replyTo ? { replyTo: content.replyTo } : {}),
  };
  if (missing.size > 0) {
    const errors: FieldError[] = [...missing].map((name) => ({
      field: `/recipients/${index}/substitutions/${name}`,
      expected: `a value for {{${name}}} (in the recipient's or the request's substitutions)`,
    }));
    throw new HttpProblem(
      'validation-failed',
      `recipient ${index} (${rcpt.address}) has no value for ${[...missing].map((n) => `{{${n}}}`).join(', ')}`,
      errors,
    );
  }
  return build(new MailComposer(mail));
}

function build(composer: MailComposer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    composer.compile().build((err, message) => (err ? reject(err) : resolve(message)));
  });
}

/**
 * A raw message with CRLF line ends (RFC 5322 §2.1; JSON clients send LF) ending in CRLF, with
 * Message-ID and Date added when missing and `addMissing` (listener.add_missing_headers).
 */
export function prepareRaw(raw: string, addMissing: boolean, hostname: string, now: number): Buffer {
  let text = raw.replace(/\r\n|\r|\n/g, '\r\n');
  if (!text.endsWith('\r\n')) text += '\r\n';
  if (addMissing) {
    const end = text.indexOf('\r\n\r\n');
    const header = end === -1 ? text : text.slice(0, end + 2);
    const add: string[] = [];
    if (!/^message-id:/im.test(header)) add.push(`Message-ID: <${randomBytes(12).toString('hex')}@${hostname}>`);
    if (!/^date:/im.test(header)) add.push(`Date: ${rfc5322Date(now)}`);
    if (add.length > 0) text = `${add.join('\r\n')}\r\n${text}`;
  }
  return Buffer.from(text, 'utf8');
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "Sun, 6 Dec 2026 08:38:30 +0000" (RFC 5322 §3.3), in UTC. */
export function rfc5322Date(epochMs: number): string {
  const d = new Date(epochMs);
  const two = (n: number): string => String(n).padStart(2, '0');
  return (
    `${DAYS[d.getUTCDay()]}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`
  );
}

/**
 * The Received: trace header (RFC 5321 §4.4) for a message taken over HTTP: the client's address,
 * this host, "with HTTP" or "HTTPS", the message id, `for` only with one recipient (no Bcc leak).
 */
export function receivedHeader(opts: {
  readonly clientAddress: string;
  readonly hostname: string;
  readonly tls: boolean;
  readonly id: string;
  readonly recipient?: string;
  readonly time: number;
}): string {
  const forPart = opts.recipient ? `\r\n\tfor <${opts.recipient}>` : '';
  return (
    `Received: from [${opts.clientAddress}]\r\n\tby ${opts.hostname} (Petrel) with ${opts.tls ? 'HTTPS' : 'HTTP'} ` +
    `id ${opts.id}${forPart}; ${rfc5322Date(opts.time)}\r\n`
  );
}
