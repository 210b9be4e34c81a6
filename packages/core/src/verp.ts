/**
 * VERP return paths (Variable Envelope Return Path, D. J. Bernstein 1997): an envelope sender per
 * (message, recipient) so that a bounce, whatever its format, names what it is about by the address
 * it is sent to. Petrel's form (docs/feedback-loop.md):
 *
 *   <prefix>+<message id>[+<tag>]+<encoded local part>=<encoded domain>@<return-path domain>
 *
 * - message id: Petrel's spool id (Crockford base32, case-insensitive).
 * - tag: present when a secret is configured: the first 8 characters of the base32 HMAC-SHA256 of
 *   "<id>:<recipient>" (both lower-cased), so a forged bounce cannot suppress an address.
 * - encoding: letters, digits and "-" stay; every other octet (".", "+", "=", "_", UTF-8) becomes
 *   "_" and two hex digits, so the result is one dot-atom (RFC 5322 §3.4.1) that survives MTAs
 *   which lower-case addresses (the hex is read case-insensitively).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface VerpOptions {
  /** Local-part prefix, e.g. "b". Letters, digits, "-" and "." only. */
  readonly prefix: string;
  /** HMAC key; empty = no tag (attribution is then only as good as the sender's honesty). */
  readonly secret: string;
}

/** What a VERP address says. */
export interface VerpInfo {
  readonly messageId: string;
  readonly recipient: string;
  /** The tag matched the secret; false when a secret is set and the tag is missing or wrong. */
  readonly verified: boolean;
  /** A secret was configured, so `verified` means something. */
  readonly signed: boolean;
}

const B32 = 'abcdefghijklmnopqrstuvwxyz234567';

function encodePart(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9-]/.test(c) ? c : `_${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function decodePart(s: string): string | undefined {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '_') {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined;
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else if (/[A-Za-z0-9-]/.test(c)) bytes.push(c.charCodeAt(0));
    else return undefined;
  }
  return Buffer.from(bytes).toString('utf8');
}

function tag(secret: string, messageId: string, recipient: string): string {
  const mac = createHmac('sha256', secret).update(`${messageId.toLowerCase()}:${recipient.toLowerCase()}`).digest();
  let out = '';
  for (let i = 0; i < 8; i++) out += B32[mac[i]! & 31];
  return out;
}

/** The VERP envelope sender for one recipient of one message. */
export function verpAddress(opts: VerpOptions, messageId: string, recipient: string, domain: string): string {
  const at = recipient.lastIndexOf('@');
  const local = at < 0 ? recipient : recipient.slice(0, at);
  const rdomain = at < 0 ? '' : recipient.slice(at + 1).toLowerCase();
  const t = opts.secret !== '' ? `+${tag(opts.secret, messageId, recipient)}` : '';
  return `${opts.prefix}+${messageId}${t}+${encodePart(local)}=${encodePart(rdomain)}@${domain}`;
}

/**
 * Reads a VERP address of one of `domains`; undefined when it is not one (another address at the
 * return-path domain, a different prefix, bad encoding).
 */
export function parseVerp(opts: VerpOptions, address: string, domains: ReadonlySet<string>): VerpInfo | undefined {
  const at = address.lastIndexOf('@');
  if (at < 0 || !domains.has(address.slice(at + 1).toLowerCase())) return undefined;
  const fields = address.slice(0, at).split('+');
  if (fields.length !== 3 && fields.length !== 4) return undefined;
  if (fields[0]!.toLowerCase() !== opts.prefix.toLowerCase()) return undefined;
  const messageId = fields[1]!.toUpperCase();
  if (!/^[0-9A-Z]{1,64}$/.test(messageId)) return undefined;
  const enc = fields[fields.length - 1]!;
  const eq = enc.lastIndexOf('=');
  if (eq <= 0) return undefined;
  const local = decodePart(enc.slice(0, eq));
  const rdomain = decodePart(enc.slice(eq + 1));
  if (local === undefined || rdomain === undefined || rdomain === '') return undefined;
  const recipient = `${local}@${rdomain.toLowerCase()}`;
  const signed = opts.secret !== '';
  let verified = !signed;
  if (signed && fields.length === 4) {
    const want = Buffer.from(tag(opts.secret, messageId, recipient));
    const got = Buffer.from(fields[2]!.toLowerCase());
    verified = want.length === got.length && timingSafeEqual(want, got);
  }
  return { messageId, recipient, verified, signed };
}
