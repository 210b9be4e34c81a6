/**
 * 8-bit to 7-bit downconversion for a server that does not advertise 8BITMIME (RFC 6152 §3: an
 * 8-bit body may only go to a server that says 8BITMIME; RFC 1652 §4 lets the client convert).
 * Each leaf entity whose body has octets above 127 is re-encoded as quoted-printable (RFC 2045
 * §6.7) and its Content-Transfer-Encoding header replaced; multipart bodies (RFC 2046 §5.1) are
 * walked part by part, nested ones included.
 *
 * Limits (documented): 8-bit octets in header fields are left alone (that needs RFC 2047 encoded
 * words, and SMTPUTF8 mail must not be downgraded here); a part that already says base64 or
 * quoted-printable but carries 8-bit octets is malformed and is left alone; message/* parts are
 * not entered. What is left counts as "8-bit remains" for transform_8bitmime_content = "strict".
 */

const CRLF = '\r\n';

export interface Downconverted {
  readonly body: Buffer;
  /** True when no octet above 127 remains anywhere. */
  readonly clean: boolean;
  /** True when something was re-encoded. */
  readonly changed: boolean;
}

/** True when any octet is above 127 (or is NUL, which 7bit forbids as well: RFC 2045 §2.7). */
export function has8bit(buf: Buffer): boolean {
  for (let i = 0; i < buf.length; i++) if (buf[i]! > 127) return true;
  return false;
}

export function downconvert(message: Buffer): Downconverted {
  if (!has8bit(message)) return { body: message, clean: true, changed: false };
  // latin1 keeps one char per octet, so offsets and boundaries survive the round trip.
  const out = entity(message.toString('latin1'));
  const body = Buffer.from(out, 'latin1');
  return { body, clean: !has8bit(body), changed: out !== message.toString('latin1') };
}

function entity(text: string): string {
  const split = text.indexOf(CRLF + CRLF);
  const headerEnd = split < 0 ? text.length : split + 2;
  const head = text.slice(0, headerEnd);
  const body = split < 0 ? '' : text.slice(split + 4);
  const fields = unfold(head);
  const type = field(fields, 'content-type') ?? 'text/plain';
  const cte = (field(fields, 'content-transfer-encoding') ?? '7bit').trim().toLowerCase();
  if (/^\s*multipart\//i.test(type)) {
    const boundary = /boundary\s*=\s*(?:"([^"]+)"|([^\s;]+))/i.exec(type);
    const b = boundary?.[1] ?? boundary?.[2];
    return b === undefined ? text : head + CRLF + multipart(body, b);
  }
  if (/^\s*message\//i.test(type) || !/[\x80-\xff]/.test(body)) return text;
  if (cte !== '7bit' && cte !== '8bit' && cte !== 'binary') return text; // already encoded: malformed, leave it
  return replaceCte(head) + CRLF + quotedPrintable(body);
}

function multipart(body: string, boundary: string): string {
  const delim = `--${boundary}`;
  // Parts lie between delimiter lines (RFC 2046 §5.1.1); preamble and epilogue stay as they are.
  const lines = body.split(CRLF);
  const out: string[] = [];
  let part: string[] | undefined;
  for (const line of lines) {
    const isDelim =
      line === delim || line.startsWith(`${delim} `) || line.startsWith(`${delim}\t`) || line.startsWith(`${delim}--`);
    if (isDelim && line.slice(delim.length).trim() !== '' && !line.startsWith(`${delim}--`)) {
      (part ?? out).push(line);
      continue;
    }
    if (isDelim) {
      if (part) out.push(entity(part.join(CRLF)));
      out.push(line);
      part = line.startsWith(`${delim}--`) ? undefined : [];
      continue;
    }
    (part ?? out).push(line);
  }
  if (part) out.push(entity(part.join(CRLF)));
  return out.join(CRLF);
}

function unfold(head: string): string[] {
  return head
    .replace(/\r\n[ \t]/g, ' ')
    .split(CRLF)
    .filter((l) => l !== '');
}

function field(fields: readonly string[], name: string): string | undefined {
  const f = fields.find((l) => l.toLowerCase().startsWith(`${name}:`));
  return f?.slice(name.length + 1);
}

function replaceCte(head: string): string {
  const kept = head.replace(/^content-transfer-encoding:.*\r\n(?:[ \t].*\r\n)*/gim, '');
  return `${kept}Content-Transfer-Encoding: quoted-printable${CRLF}`;
}

/** RFC 2045 §6.7: =XX for octets above 126, "=" and trailing blanks; soft breaks keep lines ≤ 76. */
export function quotedPrintable(text: string): string {
  const lines = text.split(CRLF);
  return lines
    .map((line) => {
      let out = '';
      let len = 0;
      for (let i = 0; i < line.length; i++) {
        const c = line.charCodeAt(i);
        const last = i === line.length - 1;
        const enc = c > 126 || c === 61 || (c < 32 && c !== 9) || ((c === 32 || c === 9) && last);
        const piece = enc ? `=${c.toString(16).toUpperCase().padStart(2, '0')}` : line[i]!;
        if (len + piece.length > 75) {
          out += `=${CRLF}`;
          len = 0;
        }
        out += piece;
        len += piece.length;
      }
      return out;
    })
    .join(CRLF);
}
