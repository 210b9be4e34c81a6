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
