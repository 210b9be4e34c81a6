/**
 * The Petrel-Signature header of a webhook POST (docs/webhooks.md "Verifying"):
 *
 *     Petrel-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 *
 * The timestamp is signed with the body so that a receiver can refuse replays older than its
 * tolerance (5 minutes suggested); compare with a constant-time function.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header name. */
export const SIGNATURE_HEADER = 'Petrel-Signature';

/** The header value for `body` sent at `timeMs`. */
export function signPayload(secret: string, body: string | Buffer, timeMs: number): string {
  const t = Math.floor(timeMs / 1000);
  const mac = createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');
  return `t=${t},v1=${mac}`;
}

/**
 * What a receiver does: true when `header` signs `body` with `secret` and its timestamp is within
 * `toleranceMs` of `nowMs`.
 */
export function verifySignature(
  secret: string,
  body: string | Buffer,
  header: string,
  nowMs: number,
  toleranceMs = 300_000,
): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header.trim());
  if (!m) return false;
  const t = Number(m[1]);
  if (Math.abs(nowMs - t * 1000) > toleranceMs) return false;
  const want = createHmac('sha256', secret).update(`${t}.`).update(body).digest();
  return timingSafeEqual(want, Buffer.from(m[2]!, 'hex'));
}
