/**
 * Password hashes, never plaintext (the AUTH users file, the HTTP API tokens file):
 *
 *     scrypt$N$r$p$<salt base64>$<hash base64>      scrypt (RFC 7914) through node:crypto
 *     $2b$12$<22 salt chars><31 hash chars>         bcrypt, as htpasswd -B, Dovecot or crypt(3) write it
 *
 * bcrypt is accepted so that existing user databases work as they are.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import bcrypt from 'bcryptjs';

/** A parsed scrypt hash. */
export interface ScryptHash {
  readonly kind: 'scrypt';
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

/** A bcrypt hash in modular crypt format ($2a$, $2b$ or $2y$), verified by bcryptjs. */
export interface BcryptHash {
  readonly kind: 'bcrypt';
  readonly text: string;
}

export type PasswordHash = ScryptHash | BcryptHash;

/** bcrypt cost bound: 2^14 rounds take ~1 s in JavaScript; a hostile file must not stall AUTH longer. */
export const MAX_BCRYPT_COST = 14;

/** Interactive-login cost (RFC 7914 §2 suggests N=2^14, r=8, p=1 for this use): ~50 ms. */
const DEFAULT_COST = { N: 16_384, r: 8, p: 1 };

function scryptAsync(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keylen, { ...opts, maxmem: 256 * opts.N! * opts.r! + 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/** `scrypt$N$r$p$salt$hash` for a password (random 16-octet salt, 32-octet key). */
export async function hashPassword(password: string, cost = DEFAULT_COST): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, 32, cost);
  return `scrypt$${cost.N}$${cost.r}$${cost.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** The hash written in a credentials file, or undefined when it is malformed or its cost out of bounds. */
export function parseHash(text: string): PasswordHash | undefined {
  // Modular crypt format: $2x$cost$ then 53 characters of bcrypt's base64 (22 salt + 31 hash).
  const b = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/.exec(text);
  if (b) return Number(b[1]) >= 4 && Number(b[1]) <= MAX_BCRYPT_COST ? { kind: 'bcrypt', text } : undefined;
  const m = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/]+=*)\$([A-Za-z0-9+/]+=*)$/.exec(text);
  if (!m) return undefined;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // N must be a power of two > 1; bound the cost so a hostile file cannot stall the listener.
  if (N < 2 || N > 1 << 20 || (N & (N - 1)) !== 0 || r < 1 || r > 32 || p < 1 || p > 16) return undefined;
  const hash = Buffer.from(m[5]!, 'base64');
  if (hash.length < 16) return undefined;
  return { kind: 'scrypt', N, r, p, salt: Buffer.from(m[4]!, 'base64'), hash };
}

/** True when `password` matches `h` (constant-time compare for scrypt). */
export async function verifyPassword(password: string, h: PasswordHash): Promise<boolean> {
  if (h.kind === 'bcrypt') return bcrypt.compare(password, h.text);
  const key = await scryptAsync(password, h.salt, h.hash.length, { N: h.N, r: h.r, p: h.p });
  return timingSafeEqual(key, h.hash);
}

/**
 * A fixed hash to verify against for an unknown user, so that the reply time does not tell whether
 * a user exists (it never matches: its key is all zeros).
 */
export const DUMMY_HASH: PasswordHash = {
  kind: 'scrypt',
  ...DEFAULT_COST,
  salt: Buffer.alloc(16),
  hash: Buffer.alloc(32),
};
