/** ESMTP parameters added by beforeDelivery, checked and written as RFC 5321 §4.1.2 esmtp-param. */
import type { EsmtpParameters } from './types.js';

/** esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-"); esmtp-value = 1*(%d33-60 / %d62-126). */
const KEYWORD = /^[A-Za-z0-9][A-Za-z0-9-]*$/;
const VALUE = /^[\x21-\x3c\x3e-\x7e]+$/;

/** The parameters as `KEY=value` / `KEY` words; throws TypeError on a bad keyword or value. */
export function formatParameters(params: EsmtpParameters | undefined): string[] {
  if (params === undefined) return [];
  if (typeof params !== 'object' || params === null) throw new TypeError('expected an object of ESMTP parameters');
  const out: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (!KEYWORD.test(k)) throw new TypeError(`invalid ESMTP parameter keyword ${JSON.stringify(k)} (RFC 5321 §4.1.2)`);
    if (v === true) out.push(k.toUpperCase());
    else if (typeof v === 'string' && VALUE.test(v)) out.push(`${k.toUpperCase()}=${v}`);
    else
      throw new TypeError(
        `invalid value for ESMTP parameter ${k}: ${JSON.stringify(v)} (RFC 5321 §4.1.2: printable US-ASCII ` +
          `without "=" or space)`,
      );
  }
  return out;
}
