/**
 * A small, defensive MIME reader for reports that come back as mail (DSNs, ARF, auto-replies):
 * header fields (RFC 5322 §2.2, unfolded), Content-Type parameters (RFC 2045 §5.1), transfer
 * encodings (base64, quoted-printable), multipart bodies (RFC 2046 §5.1) and embedded messages
 * (message/rfc822, message/global, text/rfc822-headers). Bounces come from every kind of MTA and
 * from attackers: nothing here throws on bad input, and depth, part count and size are bounded.
 */

/** One header field as written, with its name lower-cased for lookup. */
export interface HeaderField {
  readonly name: string;
  readonly value: string;
}

/** One MIME entity: its headers, its decoded body, and its children (multipart or embedded message). */
export interface MimePart {
  readonly headers: readonly HeaderField[];
  /** "type/subtype", lower-cased; "text/plain" when absent or unreadable (RFC 2045 §5.2). */
  readonly type: string;
  /** Content-Type parameters, names lower-cased. */
  readonly params: Readonly<Record<string, string>>;
  /** The body after transfer decoding (for a multipart: the raw body). */
  readonly body: Buffer;
  /** Sub-parts of a multipart, or the one embedded message of message/rfc822 and its kin. */
  readonly parts: readonly MimePart[];
}

/** Nesting and fan-out limits: a hostile report cannot make the parser recurse or allocate without end. */
const MAX_DEPTH = 8;
const MAX_PARTS = 200;

/** Splits raw bytes into the header block and the body (at the first empty line, CRLF or bare LF). */
function splitHead(raw: Buffer): { head: string; body: Buffer } {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  if (raw.length > 0 && (raw[0] === 0x0a || (raw[0] === 0x0d && raw[1] === 0x0a))) {
    return { head: '', body: raw.subarray(raw[0] === 0x0a ? 1 : 2) };
  }
  let at = -1;
  let len = 0;
  if (crlf >= 0 && (lf < 0 || crlf <= lf)) {
    at = crlf;
    len = 4;
  } else if (lf >= 0) {
    at = lf;
    len = 2;
  }
  if (at < 0) return { head: raw.toString('latin1'), body: Buffer.alloc(0) };
  return { head: raw.subarray(0, at).toString('utf8'), body: raw.subarray(at + len) };
}

/**
 * A MIME parameter on a line of its own that its writer forgot to fold ("Content-Type: multipart/report;"
 * then `boundary="…"` at the start of the next line, seen in Office 365 NDRs): not a field, since a
 * field name cannot hold "=" before its colon, so it can only continue the field above.
 */
const UNFOLDED_PARAMETER = /^[A-Za-z][\w.-]*\*?(?:\d+\*?)?=/;

/**
 * Unfolds and splits a header block; lines that are not `name: value` are skipped (RFC 5322 §2.2.3),
 * but an unfolded MIME parameter after a field that ends with ";" continues it (RFC 2045 §5.1).
 */
export function parseHeaderBlock(head: string): HeaderField[] {
  const out: HeaderField[] = [];
  let current: { name: string; value: string } | undefined;
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) || (current?.value.endsWith(';') && UNFOLDED_PARAMETER.test(line))) {
      if (current) current.value += ` ${line.trim()}`;
      continue;
    }
    if (current) out.push(current);
    current = undefined;
    const m = /^([!-9;-~]+)[ \t]*:(.*)$/.exec(line);
    if (m) current = { name: m[1]!.toLowerCase(), value: m[2]!.trim() };
  }
  if (current) out.push(current);
  return out;
}

/** The first value of a header field, or undefined. */
export function header(headers: readonly HeaderField[], name: string): string | undefined {
  const n = name.toLowerCase();
  return headers.find((h) => h.name === n)?.value;
}

/** Every value of a header field, in order. */
export function headerAll(headers: readonly HeaderField[], name: string): string[] {
  const n = name.toLowerCase();
  return headers.filter((h) => h.name === n).map((h) => h.value);
}

/** Content-Type (or any structured field) value → lower-cased token and parameters (RFC 2045 §5.1, RFC 2231 plain). */
export function parseStructured(value: string | undefined): { token: string; params: Record<string, string> } {
  const params: Record<string, string> = {};
  if (value === undefined) return { token: '', params };
  const semi = value.indexOf(';');
  const token = (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
  const re = /;\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))/g;
  for (let m = re.exec(value); m; m = re.exec(value)) {
    const name = m[1]!.toLowerCase().replace(/\*$/, '');
    const v = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '');
    params[name] ??= v;
  }
  return { token, params };
}

function decodeQp(body: Buffer): Buffer {
  const text = body.toString('latin1').replace(/=\r?\n/g, '');
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x3d && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      out.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(c & 0xff);
  }
  return Buffer.from(out);
}

function decodeBody(body: Buffer, cte: string | undefined): Buffer {
  const enc = (cte ?? '').trim().toLowerCase();
  if (enc === 'base64') return Buffer.from(body.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  if (enc === 'quoted-printable') return decodeQp(body);
  return body;
}

/** Splits a multipart body at its boundary (RFC 2046 §5.1.1); the preamble and epilogue are dropped. */
function splitMultipart(body: Buffer, boundary: string): Buffer[] {
  const text = body.toString('latin1');
  const delimiter = `--${boundary}`;
  const parts: Buffer[] = [];
  let pos = 0;
  let start = -1;
  while (parts.length < MAX_PARTS) {
    const at = text.indexOf(delimiter, pos);
    if (at < 0) break;
    // A delimiter counts only at the start of a line.
    if (at > 0 && text[at - 1] !== '\n') {
      pos = at + delimiter.length;
      continue;
    }
    if (start >= 0) {
      let end = at;
      if (text[end - 1] === '\n') end--;
      if (text[end - 1] === '\r') end--;
      parts.push(body.subarray(start, Math.max(start, end)));
    }
    const after = at + delimiter.length;
    if (text.startsWith('--', after)) return parts;
    const eol = text.indexOf('\n', after);
    if (eol < 0) break;
    start = eol + 1;
    pos = start;
  }
  // No closing delimiter (a truncated report): keep what follows the last one.
  if (start >= 0 && parts.length < MAX_PARTS) parts.push(body.subarray(start));
  return parts;
}

const EMBEDDED = new Set(['message/rfc822', 'message/global', 'message/rfc822-headers']);

/** Parses one entity; never throws. */
export function parseMime(raw: Buffer, depth = 0): MimePart {
  const { head, body: rawBody } = splitHead(raw);
  const headers = parseHeaderBlock(head);
  const ct = parseStructured(header(headers, 'content-type'));
  const type = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(ct.token) ? ct.token : 'text/plain';
  const body = decodeBody(rawBody, header(headers, 'content-transfer-encoding'));
  let parts: MimePart[] = [];
  if (depth < MAX_DEPTH) {
    const boundary = ct.params.boundary;
    if (type.startsWith('multipart/') && boundary) {
      parts = splitMultipart(rawBody, boundary).map((p) => parseMime(p, depth + 1));
    } else if (EMBEDDED.has(type)) {
      parts = [parseMime(body, depth + 1)];
    } else if (type === 'text/rfc822-headers') {
      parts = [
        {
          headers: parseHeaderBlock(body.toString('utf8')),
          type: 'text/plain',
          params: {},
          body: Buffer.alloc(0),
          parts: [],
        },
      ];
    }
  }
  return { headers, type, params: ct.params, body, parts };
}

/** Every part, depth first, the root included. */
export function walk(part: MimePart): MimePart[] {
  const out: MimePart[] = [part];
  for (const p of part.parts) out.push(...walk(p));
  return out;
}

/** A part's body as text in its declared charset (UTF-8 or Latin-1 when unknown). */
export function textOf(part: MimePart): string {
  const charset = (part.params.charset ?? 'utf-8').toLowerCase();
  try {
    return new TextDecoder(charset, { fatal: false }).decode(part.body);
  } catch {
    return part.body.toString('latin1');
  }
}

/** Decodes RFC 2047 encoded words (Subject of a non-English auto-reply). */
export function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_all, charset: string, enc: string, text: string) => {
      const bytes =
        enc.toUpperCase() === 'B'
          ? Buffer.from(text, 'base64')
          : decodeQp(Buffer.from(text.replace(/_/g, ' '), 'latin1'));
      try {
        return new TextDecoder(charset.replace(/\*.*$/, '').toLowerCase()).decode(bytes);
      } catch {
        return bytes.toString('latin1');
      }
    });
}

/** The addr-spec of an address field or path: "Name <a@b>" → "a@b"; "rfc822; a@b" → "a@b". */
export function addressIn(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const type = /^\s*([A-Za-z0-9-]+)\s*;/.exec(value)?.[1]?.toLowerCase();
  let v = value.replace(/^\s*[A-Za-z0-9-]+\s*;\s*/, '').trim();
  // RFC 6533 §3: a "utf-8" address in a message/delivery-status part writes each non-ASCII character
  // as \x{HEX} (utf-8-addr-xtext); message/global-delivery-status writes it as UTF-8 itself.
  if (type === 'utf-8') v = v.replace(/\\x\{([0-9A-Fa-f]{1,6})\}/g, (all, hex: string) => codePoint(hex) ?? all);
  const angle = /<([^<>\s]+@[^<>\s]+)>/.exec(v);
  // An internationalized domain (RFC 6531) may hold any letter or digit, not only LDH.
  const m = angle ?? /([^\s<>"(),;:]+@[\p{L}\p{N}.[\]:_-]+[\p{L}\p{N}\]])/u.exec(v);
  return m ? m[1]!.replace(/^mailto:/i, '') : undefined;
}

/** The character of a Unicode code point given in hex, if it is one (not a surrogate, ≤ U+10FFFF). */
function codePoint(hex: string): string | undefined {
  const cp = Number.parseInt(hex, 16);
  return cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ? undefined : String.fromCodePoint(cp);
}
