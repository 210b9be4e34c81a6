/**
 * inject() (Momentum's ec_internal_inject): a message built in code becomes a spool StoreRequest
 * with protocol `internal`, so it is routed, queued and logged like any other message.
 */
import { domainOf, type StoreRequest } from '@petrel/core';
import type { InjectMessage } from './types.js';

/** RFC 5322 §3.3 date-time, e.g. "Sun, 06 Dec 2026 03:20:43 +0000". */
function rfc5322Date(ms: number): string {
  return new Date(ms).toUTCString().replace(/GMT$/, '+0000');
}

function crlf(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}

/** Builds the store request; throws TypeError on a malformed message description. */
export function buildInjectRequest(
  m: InjectMessage,
  opts: { readonly hostname: string; readonly now: number; readonly seq: number },
): StoreRequest {
  if (typeof m !== 'object' || m === null) throw new TypeError('inject(): expected a message object');
  if (typeof m.from !== 'string' || /[\s<>]/.test(m.from))
    throw new TypeError(`inject(): "from" must be an address or "" (null sender), found ${JSON.stringify(m.from)}`);
  const to = typeof m.to === 'string' ? [m.to] : [...(m.to ?? [])];
  if (to.length === 0) throw new TypeError('inject(): "to" names no recipient');
  for (const a of to) {
    if (typeof a !== 'string' || !/^[^\s<>@]+@[^\s<>@]+$/.test(a))
      throw new TypeError(`inject(): not a recipient address: ${JSON.stringify(a)}`);
  }
  let body: Buffer;
  if (m.raw !== undefined) {
    body = Buffer.from(crlf(Buffer.isBuffer(m.raw) ? m.raw.toString('utf8') : m.raw), 'utf8');
  } else {
    const extra = m.headers ?? {};
    const lower = new Set(Object.keys(extra).map((k) => k.toLowerCase()));
    const lines: string[] = [];
    const put = (name: string, value: string): void => {
      if (/[\r\n]/.test(value) || !/^[\x21-\x39\x3b-\x7e]+$/.test(name))
        throw new TypeError(`inject(): invalid header ${name}`);
      lines.push(`${name}: ${value}`);
    };
    if (!lower.has('from')) put('From', m.from === '' ? `MAILER-DAEMON@${opts.hostname}` : m.from);
    if (!lower.has('to')) put('To', to.join(', '));
    if (!lower.has('subject')) put('Subject', m.subject ?? '');
    if (!lower.has('date')) put('Date', rfc5322Date(opts.now));
    if (!lower.has('message-id')) put('Message-ID', `<${opts.now.toString(36)}.${opts.seq}.policy@${opts.hostname}>`);
    for (const [k, v] of Object.entries(extra)) put(k, v);
    const text = crlf(m.text ?? '');
    body = Buffer.from(
      `${lines.join('\r\n')}\r\n\r\n${text}${text.endsWith('\r\n') || text === '' ? '' : '\r\n'}`,
      'utf8',
    );
  }
  const eightBit = body.some((b) => b > 0x7f);
  return {
    envelope: {
      id: '',
      sender: m.from,
      recipients: to.map((address) => ({ address, domain: domainOf(address) })),
      receivedAt: opts.now,
      size: body.length,
      protocol: 'internal',
      ...(eightBit ? { bodyType: '8BITMIME' as const } : {}),
    },
    body,
  };
}
