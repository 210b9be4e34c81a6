/**
 * AUTH password hashes, never plaintext. One users file line per user, either
 *
 *     user:scrypt$N$r$p$<salt base64>$<hash base64>      scrypt (RFC 7914) through node:crypto
 *     user:$2b$12$<22 salt chars><31 hash chars>         bcrypt, as htpasswd -B, Dovecot or crypt(3) write it
 *
 * Blank lines and lines starting with "#" are ignored. Create an scrypt line with
 * `node packages/listener/scripts/hash-password.mjs USER` (reads the password from stdin) or
 * `hashPassword()`; bcrypt lines are accepted so that existing user databases work as they are.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { readFileSync } from 'node:fs';
import { PetrelError } from '@petrel/core';

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
const MAX_BCRYPT_COST = 14;

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

export async function verifyPassword(password: string, h: PasswordHash): Promise<boolean> {
  if (h.kind === 'bcrypt') return bcrypt.compare(password, h.text);
  const key = await scryptAsync(password, h.salt, h.hash.length, { N: h.N, r: h.r, p: h.p });
  return timingSafeEqual(key, h.hash);
}

/** The users of one users file, by name. */
export class UserDb {
  // A fixed hash to verify against for unknown users, so that the reply time does not tell
  // whether a user exists.
  private static dummy: PasswordHash = {
    kind: 'scrypt',
    ...DEFAULT_COST,
    salt: Buffer.alloc(16),
    hash: Buffer.alloc(32),
  };

  constructor(private readonly users: ReadonlyMap<string, PasswordHash>) {}

  static parse(text: string, file: string): UserDb {
    const users = new Map<string, PasswordHash>();
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim();
      if (line === '' || line.startsWith('#')) continue;
      const colon = line.indexOf(':');
      const user = colon > 0 ? line.slice(0, colon) : '';
      const hash = colon > 0 ? parseHash(line.slice(colon + 1)) : undefined;
      if (!hash || /\s/.test(user)) {
        throw new PetrelError(
          'PETREL_ERR_AUTH_USERS',

          `${file}:${i + 1}: expected "user:scrypt$N$r$p$salt$hash" or "user:$2b$cost$…" (bcrypt, cost ` +
            `4–${MAX_BCRYPT_COST})`,
          { file, line: i + 1 },
        );
      }
      users.set(user, hash);
    }
    return new UserDb(users);
  }

  static load(file: string): UserDb {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new PetrelError(
        'PETREL_ERR_AUTH_USERS',
        `${file}: cannot read the AUTH users file: ${(err as Error).message}`,
        { file },
        { cause: err },
      );
    }
    return UserDb.parse(text, file);
  }

  get size(): number {
    return this.users.size;
  }

  /** True when user exists and password matches; takes about as long either way. */
  async check(user: string, password: string): Promise<boolean> {
    const h = this.users.get(user);
    const ok = await verifyPassword(password, h ?? UserDb.dummy);
    return ok && h !== undefined;
  }
}
