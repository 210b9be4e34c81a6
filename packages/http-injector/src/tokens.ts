/**
 * The tokens file of the HTTP API: one client per line,
 *
 *     client:scrypt$N$r$p$<salt>$<hash>[:binding_group]      (or a bcrypt "$2b$…" hash)
 *
 * hashed like the listener's AUTH users file (@petrel/passwords); blank lines and "#" comments are
 * ignored. A client sends `Authorization: Bearer <client>.<secret>`: the name picks the line, the
 * secret is checked against its hash. A checked token is remembered (by its SHA-256) so that only
 * the first request of a client pays for scrypt; the memory is dropped when the file is re-read.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PetrelError } from '@petrel/core';
import { DUMMY_HASH, MAX_BCRYPT_COST, parseHash, verifyPassword, type PasswordHash } from '@petrel/passwords';

/** An authenticated API client. */
export interface ApiClient {
  readonly name: string;
  /** The binding group all of this client's mail is pinned to. */
  readonly bindingGroup?: string;
}

interface Entry extends ApiClient {
  readonly hash: PasswordHash;
}

/** Remembered good tokens at most (a client has one; this bounds memory against many distinct ones). */
const MAX_REMEMBERED = 10_000;

const CLIENT = /^[A-Za-z0-9_-]{1,64}$/;

export class TokenDb {
  private readonly remembered = new Map<string, ApiClient>();
  /** Checks in progress: concurrent first requests of one client share one scrypt run. */
  private readonly checking = new Map<string, Promise<ApiClient | undefined>>();

  private constructor(private readonly entries: ReadonlyMap<string, Entry>) {}

  /** Parses a tokens file; `groups` are the configured binding groups a pin may name. */
  static parse(text: string, file: string, groups: ReadonlySet<string>): TokenDb {
    const entries = new Map<string, Entry>();
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim();
      if (line === '' || line.startsWith('#')) continue;
      const [name = '', hashText = '', group, ...rest] = line.split(':');
      const hash = parseHash(hashText);
      const bad = (what: string): PetrelError =>
        new PetrelError('PETREL_ERR_HTTP_TOKENS', `${file}:${i + 1}: ${what}`, { file, line: i + 1 });
      if (!CLIENT.test(name) || !hash || rest.length > 0)
        throw bad(
          'expected "client:scrypt$N$r$p$salt$hash[:binding_group]" or a bcrypt "$2b$cost$…" hash (cost 4–' +
            `${MAX_BCRYPT_COST}), the client a name of letters, digits, "_" or "-"`,
        );
      if (group !== undefined && !groups.has(group))
        throw bad(`expected a configured binding group, found "${group}" (known: ${[...groups].join(', ')})`);
      if (entries.has(name)) throw bad(`client "${name}" is already defined`);
      entries.set(name, { name, hash, ...(group !== undefined ? { bindingGroup: group } : {}) });
    }
    return new TokenDb(entries);
  }

  static load(file: string, groups: ReadonlySet<string>): TokenDb {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new PetrelError(
        'PETREL_ERR_HTTP_TOKENS',
        `${file}: cannot read the HTTP API tokens file: ${(err as Error).message}`,
        { file },
        { cause: err },
      );
    }
    return TokenDb.parse(text, file, groups);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The client of a bearer token, or undefined; takes about as long for an unknown client as for a wrong secret. */
  async check(token: string): Promise<ApiClient | undefined> {
    const digest = createHash('sha256').update(token).digest('base64');
    const known = this.remembered.get(digest);
    if (known) return known;
    let pending = this.checking.get(digest);
    if (!pending) {
      pending = this.verify(token, digest).finally(() => this.checking.delete(digest));
      this.checking.set(digest, pending);
    }
    return pending;
  }

  private async verify(token: string, digest: string): Promise<ApiClient | undefined> {
    const dot = token.indexOf('.');
    const entry = dot > 0 ? this.entries.get(token.slice(0, dot)) : undefined;
    const ok = await verifyPassword(dot > 0 ? token.slice(dot + 1) : token, entry?.hash ?? DUMMY_HASH);
    if (!ok || !entry) return undefined;
    const client: ApiClient = { name: entry.name, ...(entry.bindingGroup ? { bindingGroup: entry.bindingGroup } : {}) };
    if (this.remembered.size >= MAX_REMEMBERED) this.remembered.clear();
    this.remembered.set(digest, client);
    return client;
  }
}
