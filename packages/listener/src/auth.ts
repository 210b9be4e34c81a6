/**
 * SMTP AUTH (RFC 4954) pieces that hold no session state: the SASL PLAIN (RFC 4616) and LOGIN
 * decoders, and the per-IP failure limiter that stops password guessing.
 */

/** The mechanisms offered, in EHLO order. */
export const AUTH_MECHANISMS = ['PLAIN', 'LOGIN'] as const;
export type AuthMechanism = (typeof AUTH_MECHANISMS)[number];

/** Longest SASL line we accept (RFC 4954 §4: at least 12288 octets for the AUTH command). */
export const MAX_SASL_LINE = 12_288;

/** Strict base64 (RFC 4648 §4), or undefined; "=" alone is the empty initial response (RFC 4954 §4). */
export function decodeBase64(text: string): Buffer | undefined {
  if (text === '=') return Buffer.alloc(0);
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  return Buffer.from(text, 'base64');
}

/** RFC 4616 §2: [authzid] NUL authcid NUL passwd; an authzid other than the authcid is refused. */
export function decodePlain(text: string): { user: string; password: string } | undefined {
  const raw = decodeBase64(text);
  if (!raw) return undefined;
  const parts = raw.toString('utf8').split('\0');
  if (parts.length !== 3) return undefined;
  const [authzid, user, password] = parts as [string, string, string];
  if (user === '' || password === '') return undefined;
  if (authzid !== '' && authzid !== user) return undefined;
  return { user, password };
}

/**
 * AUTH failures per client IP in a sliding window. Bounded: at most `maxTracked` addresses are
 * remembered; the oldest is forgotten first (an attacker spraying addresses only forgets itself).
 *
 * A password check is counted when it STARTS (begin), not only when it has failed: checks take
 * time (scrypt, bcrypt), so counting failures at the end let N parallel connections from one
 * address all be checked before the first failure was recorded. Now recent failures plus checks
 * in flight never exceed maxFailures, however many connections guess at once.
 */
export class AuthFailureLimiter {
  private readonly failures = new Map<string, number[]>();
  /** Password checks running now per address; bounded by the open connections. */
  private readonly inFlight = new Map<string, number>();

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs: number,
    private readonly maxTracked = 10_000,
  ) {}

  /** Reserves one password check for ip; false (nothing reserved) when it would pass the limit. */
  begin(ip: string, now: number): boolean {
    if (this.blocked(ip, now)) return false;
    this.inFlight.set(ip, (this.inFlight.get(ip) ?? 0) + 1);
    return true;
  }

  /**
   * Ends a check reserved with begin(); a failure is recorded. Returns true when the address's
   * failures alone now reach the limit (the session is then dropped).
   */
  end(ip: string, now: number, failed: boolean): boolean {
    const n = (this.inFlight.get(ip) ?? 1) - 1;
    if (n > 0) this.inFlight.set(ip, n);
    else this.inFlight.delete(ip);
    if (failed) return this.fail(ip, now);
    return this.recent(ip, now).length >= this.maxFailures;
  }

  /** Records one failure; returns true when the address is now blocked. */
  fail(ip: string, now: number): boolean {
    const list = this.recent(ip, now);
    list.push(now);
    this.failures.delete(ip);
    this.failures.set(ip, list); // re-insert: Map order is the eviction order
    if (this.failures.size > this.maxTracked) {
      const oldest = this.failures.keys().next();
      if (!oldest.done) this.failures.delete(oldest.value);
    }
    return list.length >= this.maxFailures;
  }

  /** No further check may start: recent failures and checks in flight fill the limit. */
  blocked(ip: string, now: number): boolean {
    return this.recent(ip, now).length + (this.inFlight.get(ip) ?? 0) >= this.maxFailures;
  }

  private recent(ip: string, now: number): number[] {
    const list = this.failures.get(ip);
    if (!list) return [];
    const from = now - this.windowMs;
    while (list.length > 0 && list[0]! <= from) list.shift();
    if (list.length === 0) this.failures.delete(ip);
    return list;
  }
}

/** One step of a SASL exchange: send a challenge, check credentials, or fail with a reply. */
export type SaslStep =
  | { readonly kind: 'challenge'; readonly base64: string }
  | { readonly kind: 'credentials'; readonly user: string; readonly password: string }
  | { readonly kind: 'cancelled' }
  | { readonly kind: 'malformed' };

const USERNAME = Buffer.from('Username:').toString('base64');
const PASSWORD = Buffer.from('Password:').toString('base64');

/** The server side of PLAIN (RFC 4616) or LOGIN (draft-murchison-sasl-login) for one AUTH. */
export class SaslExchange {
  private user: string | undefined;

  constructor(readonly mechanism: AuthMechanism) {}

  /** The AUTH command, with its optional initial response (RFC 4954 §4). */
  start(initial: string | undefined): SaslStep {
    if (initial === undefined) return { kind: 'challenge', base64: this.mechanism === 'PLAIN' ? '' : USERNAME };
    return this.respond(initial);
  }

  /** A client response line; "*" cancels (RFC 4954 §4). */
  respond(line: string): SaslStep {
    if (line === '*') return { kind: 'cancelled' };
    if (this.mechanism === 'PLAIN') {
      const creds = decodePlain(line);
      return creds ? { kind: 'credentials', ...creds } : { kind: 'malformed' };
    }
    const raw = decodeBase64(line);
    if (!raw) return { kind: 'malformed' };
    const text = raw.toString('utf8');
    if (this.user === undefined) {
      if (text === '' || text.includes('\0')) return { kind: 'malformed' };
      this.user = text;
      return { kind: 'challenge', base64: PASSWORD };
    }
    return { kind: 'credentials', user: this.user, password: text };
  }
}
