/**
 * The AUTH users file: one line per user, either
 *
 *     user:scrypt$N$r$p$<salt base64>$<hash base64>      scrypt (RFC 7914) through node:crypto
 *     user:$2b$12$<22 salt chars><31 hash chars>         bcrypt, as htpasswd -B, Dovecot or crypt(3) write it
 *
 * Blank lines and lines starting with "#" are ignored. Create an scrypt line with
 * `node packages/listener/scripts/hash-password.mjs USER` (reads the password from stdin) or
 * `hashPassword()`. The hashes themselves are @petrel/passwords'.
 */
import { readFileSync } from 'node:fs';
import { PetrelError } from '@petrel/core';
import { DUMMY_HASH, MAX_BCRYPT_COST, parseHash, verifyPassword, type PasswordHash } from '@petrel/passwords';

export { hashPassword, parseHash, verifyPassword, type PasswordHash } from '@petrel/passwords';

/** The users of one users file, by name. */
export class UserDb {
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
    const ok = await verifyPassword(password, h ?? DUMMY_HASH);
    return ok && h !== undefined;
  }
}
