/**
 * DKIM canonicalisation (RFC 6376 §3.4) and the header/body split of a message. Messages are
 * handled as latin1 strings: one character per octet, so 8-bit bodies hash exactly as received.
 */

/** One canonicalisation algorithm (RFC 6376 §3.4). */
export type Canon = 'simple' | 'relaxed';

/** Header and body canonicalisation, as the `c=` tag writes them (`relaxed/relaxed`). */
export interface Canonicalization {
  readonly header: Canon;
  readonly body: Canon;
}

/** One header field as it appears in the message: its name and the raw field, CRLF included. */
export interface RawField {
  readonly name: string;
  /** The whole field, folding and final CRLF included, octets as latin1 characters. */
  readonly raw: string;
}

/** The header fields of a message (top to bottom) and the offset where its body starts. */
export interface SplitMessage {
  readonly fields: readonly RawField[];
  /** Octet offset of the body (after the empty line); message.length when there is none. */
  readonly bodyStart: number;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');

/** Splits a CRLF message into its header fields and the body offset (RFC 5322 §2.1). */
export function splitMessage(message: Buffer): SplitMessage {
  let headEnd: number;
  let bodyStart: number;
  if (message[0] === 0x0d && message[1] === 0x0a) {
    headEnd = 0;
    bodyStart = 2;
  } else {
    const i = message.indexOf(CRLFCRLF);
    headEnd = i < 0 ? message.length : i + 2;
    bodyStart = i < 0 ? message.length : i + 4;
  }
  const head = message.toString('latin1', 0, headEnd);
  const fields: RawField[] = [];
  let start = 0;
  while (start < head.length) {
    let end = head.indexOf('\r\n', start);
    // A field continues while the next line starts with WSP (RFC 5322 §2.2.3 folding).
    while (end >= 0 && (head[end + 2] === ' ' || head[end + 2] === '\t')) end = head.indexOf('\r\n', end + 2);
    end = end < 0 ? head.length : end + 2;
    const raw = head.slice(start, end);
    const colon = raw.indexOf(':');
    fields.push({ name: (colon < 0 ? raw : raw.slice(0, colon)).trim(), raw });
    start = end;
  }
  return { fields, bodyStart };
}

/**
 * One header field canonicalised, CRLF included (RFC 6376 §3.4.1 simple: unchanged; §3.4.2
 * relaxed: name lower-cased, unfolded, WSP runs to one SP, WSP around the colon and at the end removed).
 */
export function canonHeader(raw: string, canon: Canon): string {
  if (canon === 'simple') return raw.endsWith('\r\n') ? raw : `${raw}\r\n`;
  const colon = raw.indexOf(':');
  const name = raw
    .slice(0, colon)
    .replace(/[ \t]+$/, '')
    .toLowerCase();
  const value = raw
    .slice(colon + 1)
    .replace(/\r\n/g, '')
    .replace(/[ \t]+/g, ' ')
    .replace(/^ | $/g, '');
  return `${name}:${value}\r\n`;
}

/**
 * The body canonicalised (RFC 6376 §3.4.3 simple: trailing empty lines removed, an empty body is
 * one CRLF; §3.4.4 relaxed: WSP at line ends removed, WSP runs to one SP, trailing empty lines
 * removed, an empty body stays empty). `body` is latin1 text with CRLF line ends.
 */
export function canonBody(body: string, canon: Canon): string {
  if (canon === 'relaxed') {
    // Only lines that have WSP need the regexes; most bodies are left as they are.
    if (body.includes(' ') || body.includes('\t')) body = body.replace(/[ \t]+\r\n/g, '\r\n').replace(/[ \t]+/g, ' ');
    // A final line without CRLF (not possible over SMTP, but in a file) counts as a line.
    if (body.length > 0 && !body.endsWith('\r\n')) body = `${body.replace(/[ \t]+$/, '')}\r\n`;
  } else if (body.length > 0 && !body.endsWith('\r\n')) body += '\r\n';
  let end = body.length;
  while (end >= 2 && body.charCodeAt(end - 1) === 0x0a && body.charCodeAt(end - 2) === 0x0d) {
    if (end >= 4 && body.charCodeAt(end - 3) === 0x0a && body.charCodeAt(end - 4) === 0x0d) end -= 2;
    else break;
  }
  body = body.slice(0, end);
  if (body === '\r\n' && canon === 'relaxed') return '';
  if (body === '' && canon === 'simple') return '\r\n';
  return body;
}

/** Parses a `c=` value (`relaxed/simple`; a lone algorithm means `alg/simple`, RFC 6376 §3.5). */
export function parseCanonicalization(text: string): Canonicalization | undefined {
  const [h, b = 'simple', extra] = text.split('/');
  const ok = (x: string | undefined): x is Canon => x === 'simple' || x === 'relaxed';
  if (extra !== undefined || !ok(h) || !ok(b)) return undefined;
  return { header: h, body: b };
}
