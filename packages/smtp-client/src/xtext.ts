/**
 * RFC 3461 §4: xtext for ENVID and ORCPT. Characters outside "!" to "~", "+" and "=" become
 * "+XX" (upper-case hex of the octet); UTF-8 text is encoded octet by octet.
 */
export function xtext(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    if (byte >= 0x21 && byte <= 0x7e && byte !== 0x2b && byte !== 0x3d) out += String.fromCharCode(byte);
    else out += '+' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** ORCPT=addr-type;xtext(address) (RFC 3461 §4.2); a bare address is taken as rfc822. */
export function orcptParam(orcpt: string): string {
  const i = orcpt.indexOf(';');
  const type = i < 0 ? 'rfc822' : orcpt.slice(0, i);
  const addr = i < 0 ? orcpt : orcpt.slice(i + 1);
  return `ORCPT=${type};${xtext(addr)}`;
}
