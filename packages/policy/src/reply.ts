/**
 * A hook's refusal reply, checked against its phase. The rule (docs/policy.md "Replies"): an
 * inbound hook may only refuse, so the code is 4xx (try again later) or 5xx (refused), RFC 5321
 * §4.2.1; 2xx and 3xx would tell the client something Petrel did not do. An enhanced status code
 * (RFC 3463) must be of the same class as the code (4.x.x with 4xx, 5.x.x with 5xx); it is
 * required after EHLO (RFC 2034 §3: every reply once the client may rely on them) and optional at
 * connect and ehlo. The text is printable US-ASCII on one line (RFC 5321 §4.2, §2.4).
 */
import { SmtpReply } from '@petrel/core';
import type { InboundHook } from './hooks.js';

const ENHANCED_OPTIONAL: ReadonlySet<InboundHook> = new Set(['connect', 'ehlo']);

/** The reply, or a string saying why it does not fit the phase. */
export function parsePolicyReply(text: unknown, phase: InboundHook): SmtpReply | string {
  if (typeof text !== 'string') return `expected a reply string such as "550 5.7.1 refused", found ${typeof text}`;
  const m = /^([2-5]\d\d)(?: (.*))?$/s.exec(text);
  if (!m) return `expected "CODE [X.Y.Z] text" with a 3-digit code, found ${JSON.stringify(text)}`;
  const code = Number(m[1]);
  if (code < 400) return `a ${phase} hook can only refuse: expected a 4xx or 5xx code, found ${code}`;
  let rest = m[2] ?? '';
  let enhanced: string | undefined;
  const e = /^([245])\.(\d{1,3})\.(\d{1,3})(?: |$)/.exec(rest);
  if (e) {
    if (e[1] !== String(code)[0])
      return `enhanced status code ${e[1]}.${e[2]}.${e[3]} does not match reply code ${code} (RFC 3463: same class)`;
    enhanced = `${e[1]}.${e[2]}.${e[3]}`;
    rest = rest.slice(e[0].length);
  } else if (!ENHANCED_OPTIONAL.has(phase)) {
    return (
      `a ${phase} reply needs an enhanced status code (RFC 2034), e.g. "${code} ${String(code)[0]}.7.1 text", ` +
      `found ${JSON.stringify(text)}`
    );
  }
  if (!/^[\x20-\x7e]*$/.test(rest))
    return `reply text must be printable US-ASCII on one line (RFC 5321 §2.4), found ${JSON.stringify(rest)}`;
  if (rest.trim() === '') return 'reply text is empty: say why';
  return new SmtpReply(code, rest, enhanced);
}
