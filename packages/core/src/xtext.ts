/**
 * RFC 3461 §4 xtext, the encoding of ENVID and ORCPT: xchar = "!".."~" except "+" and "=",
 * hexchar = "+" and two upper-case hex digits of an octet. Text is UTF-8 octet by octet both
 * ways, so what the listener decodes the client re-encodes unchanged.
 */

export function encodeXtext(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    if (byte >= 0x21 && byte <= 0x7e && byte !== 0x2b && byte !== 0x3d) out += String.fromCharCode(byte);
    else out += `+${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The decoded text, or undefined for anything that is not xtext (lower-case hex, "=", controls, spaces). */
export function decodeXtext(text: string): string | undefined {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2b) {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9A-F]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (c >= 0x21 && c <= 0x7e && c !== 0x3d) {
      bytes.push(c);
    } else {
      return undefined;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * RFC 6533 §3 QCHAR: printable ASCII except "+", "=" and "\" (they and everything else are
 * written as EmbeddedUnicodeChar "\x{HEX}" in the utf-8 address type).
 */
function isQchar(cp: number): boolean {
  return cp >= 0x21 && cp <= 0x7e && cp !== 0x2b && cp !== 0x3d && cp !== 0x5c;
}

/**
 * An ORCPT address of type "utf-8" in the 7-bit utf-8-addr-xtext form (RFC 6533 §3): QCHARs as
 * they are, any other character as "\x{HEX}". Valid whether or not the next hop offers SMTPUTF8.
 */
export function encodeUtf8AddrXtext(value: string): string {
  let out = '';
  for (const ch of value) {
    const cp = ch.codePointAt(0)!;
    out += isQchar(cp) ? ch : `\\x{${cp.toString(16).toUpperCase().padStart(2, '0')}}`;
  }
  return out;
}

/**
 * Decodes an ORCPT address of type "utf-8" (RFC 6533 §3): utf-8-addr-xtext (QCHAR and
 * "\x{HEX}"), and when `raw` (SMTPUTF8 was given on MAIL) also utf-8-addr-unitext, which
 * carries non-ASCII characters as raw UTF-8. Undefined for anything else: "+" or "=", a
 * control or space, a "\x{…}" that is malformed or stands for a QCHAR or a surrogate, non-ASCII
 * without `raw`, or a result that is not local@domain.
 */
export function decodeUtf8Addr(text: string, raw: boolean): string | undefined {
  let out = '';
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i)!;
    if (cp === 0x5c) {
      // HEXPOINT: 2 to 6 hex digits; from 3 digits on without a leading zero.
      const m = /^\\x\{([0-9A-Fa-f]{2,6})\}/.exec(text.slice(i, i + 11));
      if (!m || (m[1]!.length > 2 && m[1]![0] === '0')) return undefined;
      const v = parseInt(m[1]!, 16);
      if (v === 0 || isQchar(v) || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return undefined;
      out += String.fromCodePoint(v);
      i += m[0].length;
    } else if (isQchar(cp) || (raw && cp >= 0x80 && !(cp >= 0xd800 && cp <= 0xdfff))) {
      out += String.fromCodePoint(cp);
      i += cp > 0xffff ? 2 : 1;
    } else {
      return undefined;
    }
  }
  // RFC 6533 §3: the decoded form is a Mailbox (RFC 6531).
  const at = out.lastIndexOf('@');
  return at > 0 && at < out.length - 1 ? out : undefined;
}
