/**
 * Validation of a POST /v1/inject body into an InjectRequest. Every problem is collected with the
 * JSON pointer of its field and what was expected there, so one 422 names them all. The field
 * lists here are the ones /v1/openapi.json documents (a test compares them).
 */
import { HttpProblem, type FieldError } from './problem.js';

/** A substitution value: written into the content as text (docs/http-api.md "Substitutions"). */
export type SubstitutionValue = string | number | boolean;
export type Substitutions = Readonly<Record<string, SubstitutionValue>>;

export interface InjectRecipient {
  readonly address: string;
  readonly substitutions: Substitutions;
}

export interface Attachment {
  readonly filename: string;
  readonly content: Buffer;
  readonly contentType?: string;
}

/** Content composed by nodemailer's MIME composer. */
export interface PartsContent {
  readonly kind: 'parts';
  readonly from: string;
  readonly to?: string;
  readonly replyTo?: string;
  readonly subject: string;
  readonly text?: string;
  readonly html?: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly attachments: readonly Attachment[];
}

/** A complete RFC 5322 message, sent as given (line ends made CRLF). */
export interface RawContent {
  readonly kind: 'raw';
  readonly raw: string;
}

export interface InjectRequest {
  readonly sender: string;
  readonly recipients: readonly InjectRecipient[];
  readonly content: PartsContent | RawContent;
  readonly bindingGroup?: string;
}

/** Top-level fields of the request body. */
export const REQUEST_FIELDS = ['sender', 'recipients', 'substitutions', 'content', 'binding_group'] as const;
/** Fields of `content`. */
export const CONTENT_FIELDS = [
  'raw',
  'from',
  'to',
  'reply_to',
  'subject',
  'text',
  'html',
  'headers',
  'attachments',
] as const;
/** Fields of an object recipient. */
export const RECIPIENT_FIELDS = ['address', 'substitutions'] as const;
/** Fields of an attachment. */
export const ATTACHMENT_FIELDS = ['filename', 'content', 'content_type'] as const;

/**
 * A mailbox as RFC 5321 §4.1.2 allows it in a path, with the §4.5.3.1 length limits (64 local,
 * 255 domain); UTF-8 is allowed (RFC 6531). No angle brackets, spaces or control characters.
 */
export function isMailbox(s: string): boolean {
  const at = s.lastIndexOf('@');
  if (at < 1 || at === s.length - 1 || s.length > 254) return false;
  const local = s.slice(0, at);
  const domain = s.slice(at + 1);
  if (Buffer.byteLength(local) > 64 || Buffer.byteLength(domain) > 255) return false;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\s<>\x00-\x1f\x7f]/.test(s)) return false;
  return /^(?:[^.\s@[\]]+(?:\.[^.\s@[\]]+)*|\[[^\]]+\])$/.test(domain);
}

/** A header field name (RFC 5322 §3.6.8: printable US-ASCII except colon). */
const FIELD_NAME = /^[!-9;-~]+$/;
/** Substitution names: what `{{name}}` may hold. */
export const SUBSTITUTION_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
/** Header fields the composer owns: set them through their own content fields. */
const RESERVED_HEADERS = new Set(['from', 'to', 'subject', 'reply-to', 'content-type', 'mime-version']);

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export interface ValidateOptions {
  readonly maxRecipients: number;
}

/** Checks a parsed JSON body; throws HttpProblem 422 with every field error found. */
export function validateInjectRequest(body: unknown, opts: ValidateOptions): InjectRequest {
  const errors: FieldError[] = [];
  const fail = (field: string, expected: string): void => {
    errors.push({ field, expected });
  };
  if (!isObject(body))
    throw new HttpProblem('validation-failed', 'expected a JSON object', [{ field: '', expected: 'a JSON object' }]);
  unknownKeys(body, REQUEST_FIELDS, '', fail);
  const sender = body.sender;
  if (typeof sender !== 'string' || !isMailbox(sender))
    fail('/sender', 'the envelope sender, a mailbox such as "news@example.com"');
  const defaults = substitutions(body.substitutions, '/substitutions', fail);
  const recipients: InjectRecipient[] = [];
  const list = body.recipients;
  if (!Array.isArray(list) || list.length === 0) fail('/recipients', 'a non-empty array of recipients');
  else if (list.length > opts.maxRecipients)
    fail('/recipients', `at most ${opts.maxRecipients} recipients (http.max_recipients), found ${list.length}`);
  else
    list.forEach((r, i) => {
      const at = `/recipients/${i}`;
      if (typeof r === 'string') {
        if (!isMailbox(r)) fail(at, 'a mailbox such as "ann@example.com"');
        else recipients.push({ address: r, substitutions: defaults });
        return;
      }
      if (!isObject(r)) {
        fail(at, 'a mailbox string or an object { address, substitutions }');
        return;
      }
      unknownKeys(r, RECIPIENT_FIELDS, at, fail);
      const own = substitutions(r.substitutions, `${at}/substitutions`, fail);
      if (typeof r.address !== 'string' || !isMailbox(r.address))
        fail(`${at}/address`, 'a mailbox such as "ann@example.com"');
      else recipients.push({ address: r.address, substitutions: { ...defaults, ...own } });
    });
  const bindingGroup = body.binding_group;
  if (bindingGroup !== undefined && (typeof bindingGroup !== 'string' || bindingGroup === ''))
    fail('/binding_group', 'the name of a binding group');
  const content = validateContent(body.content, fail);
  if (errors.length > 0 || !content)
    throw new HttpProblem(
      'validation-failed',
      errors.map((e) => `${e.field || '(body)'}: expected ${e.expected}`).join('; '),
      errors,
    );
  if (content.kind === 'raw' && recipients.some((r) => Object.keys(r.substitutions).length > 0))
    throw new HttpProblem('validation-failed', 'substitutions apply to content parts, not to content.raw', [
      { field: '/content/raw', expected: 'content parts (from, subject, text, html) when substitutions are given' },
    ]);
  return {
    sender: sender as string,
    recipients,
    content,
    ...(typeof bindingGroup === 'string' ? { bindingGroup } : {}),
  };
}

function validateContent(c: unknown, fail: (f: string, e: string) => void): PartsContent | RawContent | undefined {
  if (!isObject(c)) {
    fail('/content', 'an object with either "raw" (a complete RFC 5322 message) or parts (from, subject, text, html)');
    return undefined;
  }
  unknownKeys(c, CONTENT_FIELDS, '/content', fail);
  if (c.raw !== undefined) {
    const others = Object.keys(c).filter((k) => k !== 'raw');
    if (typeof c.raw !== 'string' || c.raw.length === 0)
      fail('/content/raw', 'a complete RFC 5322 message as a string');
    else if (!/^[!-9;-~]+:/.test(c.raw)) fail('/content/raw', 'a message that starts with a header field');
    if (others.length > 0) fail(`/content/${others[0]}`, 'nothing beside "raw": a raw message is sent as it is');
    return typeof c.raw === 'string' ? { kind: 'raw', raw: c.raw } : undefined;
  }
  const str = (k: string, what: string, required = false): string | undefined => {
    const v = c[k];
    if (v === undefined && !required) return undefined;
    if (typeof v !== 'string' || (required && v.trim() === '')) {
      fail(`/content/${k}`, what);
      return undefined;
    }
    return v;
  };
  const from = str('from', 'the From: header, e.g. "Shop <news@example.com>"', true);
  const subject = str('subject', 'the Subject: text', true);
  const to = str('to', 'the To: header text (default: the recipient)');
  const replyTo = str('reply_to', 'the Reply-To: header, an address');
  const text = str('text', 'the text/plain body as a string');
  const html = str('html', 'the text/html body as a string');
  if (text === undefined && html === undefined && c.text === undefined && c.html === undefined)
    fail('/content/text', 'a text or an html body (or content.raw)');
  const headers: Record<string, string> = {};
  if (c.headers !== undefined) {
    if (!isObject(c.headers)) fail('/content/headers', 'an object of header name to value');
    else
      for (const [name, value] of Object.entries(c.headers)) {
        const at = `/content/headers/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
        if (!FIELD_NAME.test(name)) fail(at, 'a header name of printable US-ASCII without ":" (RFC 5322 §3.6.8)');
        else if (RESERVED_HEADERS.has(name.toLowerCase()))
          fail(at, `a header other than ${[...RESERVED_HEADERS].join(', ')} (set those with their content fields)`);
        else if (typeof value !== 'string') fail(at, 'a string value');
        else headers[name] = value;
      }
  }
  const attachments: Attachment[] = [];
  if (c.attachments !== undefined) {
    if (!Array.isArray(c.attachments)) fail('/content/attachments', 'an array of { filename, content, content_type }');
    else
      c.attachments.forEach((a, i) => {
        const at = `/content/attachments/${i}`;
        if (!isObject(a)) {
          fail(at, 'an object { filename, content (base64), content_type }');
          return;
        }
        unknownKeys(a, ATTACHMENT_FIELDS, at, fail);
        const ok = typeof a.filename === 'string' && a.filename !== '' && !/[\r\n]/.test(a.filename);
        if (!ok) fail(`${at}/filename`, 'a file name without line breaks');
        const b64 = typeof a.content === 'string' && /^[A-Za-z0-9+/\r\n]*={0,2}\s*$/.test(a.content);
        if (!b64) fail(`${at}/content`, 'the file content, base64-encoded');
        const type = a.content_type;
        if (type !== undefined && (typeof type !== 'string' || !/^[\w.+-]+\/[\w.+-]+$/.test(type)))
          fail(`${at}/content_type`, 'a MIME type such as "application/pdf"');
        if (ok && b64)
          attachments.push({
            filename: a.filename as string,
            content: Buffer.from(a.content as string, 'base64'),
            ...(typeof type === 'string' ? { contentType: type } : {}),
          });
      });
  }
  if (from === undefined || subject === undefined) return undefined;
  return {
    kind: 'parts',
    from,
    subject,
    headers,
    attachments,
    ...(to !== undefined ? { to } : {}),
    ...(replyTo !== undefined ? { replyTo } : {}),
    ...(text !== undefined ? { text } : {}),
    ...(html !== undefined ? { html } : {}),
  };
}

function substitutions(v: unknown, at: string, fail: (f: string, e: string) => void): Substitutions {
  if (v === undefined) return {};
  if (!isObject(v)) {
    fail(at, 'an object of name to string, number or boolean');
    return {};
  }
  const out: Record<string, SubstitutionValue> = {};
  for (const [k, val] of Object.entries(v)) {
    if (!SUBSTITUTION_NAME.test(k)) fail(`${at}/${k}`, 'a name of letters, digits, "_", "." or "-" (at most 64)');
    else if (typeof val !== 'string' && typeof val !== 'number' && typeof val !== 'boolean')
      fail(`${at}/${k}`, 'a string, number or boolean');
    else out[k] = val;
  }
  return out;
}

function unknownKeys(o: Json, known: readonly string[], at: string, fail: (f: string, e: string) => void): void {
  for (const k of Object.keys(o))
    if (!known.includes(k)) fail(`${at}/${k}`, `one of the known fields: ${known.join(', ')}`);
}
