/**
 * DSN parameters of MAIL and RCPT (RFC 3461 §4): RET, ENVID, NOTIFY, ORCPT, and the xtext
 * encoding they use. Pure functions; commands.ts turns a failure into 501 5.5.4.
 */

import { decodeUtf8Addr, decodeXtext } from '@petrel/core';

// The xtext codec is shared with the outbound client (core), so a decoded ENVID/ORCPT re-encodes unchanged.
export { decodeXtext };

/** RFC 3461 §4.3: RET=FULL or RET=HDRS. */
export function parseRet(value: string | undefined): 'FULL' | 'HDRS' | undefined {
  const v = value?.toUpperCase();
  return v === 'FULL' || v === 'HDRS' ? v : undefined;
}

/** RFC 3461 §4.4: ENVID=xtext, at most 100 characters encoded. */
export function parseEnvid(value: string | undefined): string | undefined {
  if (value === undefined || value.length === 0 || value.length > 100) return undefined;
  return decodeXtext(value);
}

/** RFC 3461 §4.1: NEVER alone, or a comma list of SUCCESS, FAILURE, DELAY without repeats. */
export function parseNotify(value: string | undefined): string[] | undefined {
  if (value === undefined || value === '') return undefined;
  const items = value.toUpperCase().split(',');
  if (new Set(items).size !== items.length) return undefined;
  if (items.includes('NEVER')) return items.length === 1 ? items : undefined;
  return items.every((i) => i === 'SUCCESS' || i === 'FAILURE' || i === 'DELAY') ? items : undefined;
}

/**
 * RFC 3461 §4.2: ORCPT=addr-type ";" xtext, at most 500 characters; kept decoded as
 * "rfc822;bob@example.test" (the outbound side re-encodes it). The "utf-8" type (RFC 6533 §3)
 * has its own encoding instead of xtext: "\x{HEX}" escapes, and raw UTF-8 when SMTPUTF8 was
 * given on MAIL (`smtputf8`); it is kept decoded as "utf-8;üser@example.com".
 */
export function parseOrcpt(value: string | undefined, smtputf8 = false): string | undefined {
  if (value === undefined || value.length > 500) return undefined;
  const semi = value.indexOf(';');
  if (semi <= 0) return undefined;
  const type = value.slice(0, semi);
  // addr-type is an atom (RFC 3461 §4.2, RFC 5322 §3.2.3).
  if (!/^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]+$/.test(type)) return undefined;
  if (type.toLowerCase() === 'utf-8') {
    const addr = decodeUtf8Addr(value.slice(semi + 1), smtputf8);
    return addr === undefined ? undefined : `utf-8;${addr}`;
  }
  const addr = decodeXtext(value.slice(semi + 1));
  return addr === undefined || addr === '' ? undefined : `${type};${addr}`;
}
