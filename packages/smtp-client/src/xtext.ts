import { encodeUtf8AddrXtext, encodeXtext } from '@petrel/core';

/** RFC 3461 §4 xtext for ENVID and ORCPT (the codec lives in core, shared with the listener). */
export const xtext = encodeXtext;

/** ORCPT=addr-type;xtext(address) (RFC 3461 §4.2); a bare address is taken as rfc822. */
export function orcptParam(orcpt: string): string {
  const i = orcpt.indexOf(';');
  const type = i < 0 ? 'rfc822' : orcpt.slice(0, i);
  const addr = i < 0 ? orcpt : orcpt.slice(i + 1);
  // RFC 6533 §3: the utf-8 type has its own 7-bit form (\x{HEX}), not xtext's +HH octets.
  if (type.toLowerCase() === 'utf-8') return `ORCPT=utf-8;${encodeUtf8AddrXtext(addr)}`;
  return `ORCPT=${type};${xtext(addr)}`;
}
