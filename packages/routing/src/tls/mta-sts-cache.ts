/**
 * The MTA-STS policy cache (RFC 8461 §5.1): one entry per policy domain with the policy, the id it
 * was fetched under and when it expires (fetch time + max_age). It survives restarts (§5.1: a
 * sender should keep policies across restarts, or a downgrade attacker only has to wait for one):
 * it is a JSON file in the spool directory, rewritten (temporary file + rename) when an entry
 * changes. Policies change rarely, so the writes are few; reads are from memory.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { MtaStsPolicy } from './mta-sts-policy.js';

export interface CachedPolicy {
  readonly id: string;
  readonly policy: MtaStsPolicy;
  /** Epoch ms. */
  readonly fetchedAt: number;
  /** Epoch ms: fetchedAt + max_age. */
  readonly expiresAt: number;
}

/** Bound on remembered domains: the oldest entries go first past it. */
const MAX_ENTRIES = 100_000;

export class MtaStsCache {
  private readonly entries = new Map<string, CachedPolicy>();

  /** `file` undefined: memory only (unit tests). A missing or unreadable file starts empty (logged by `onError`). */
  constructor(
    private readonly file: string | undefined,
    private readonly onError: (err: unknown, what: string) => void = () => {},
  ) {
    if (file === undefined) return;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENOENT') onError(err, 'read');
      return;
    }
    try {
      const data = JSON.parse(text) as { policies?: Record<string, CachedPolicy> };
      for (const [d, p] of Object.entries(data.policies ?? {})) if (isCachedPolicy(p)) this.entries.set(d, p);
    } catch (err) {
      onError(err, 'parse');
    }
  }

  /** The entry of a domain if it has not expired at `now`. */
  get(domain: string, now: number): CachedPolicy | undefined {
    const e = this.entries.get(domain);
    return e && e.expiresAt > now ? e : undefined;
  }

  set(domain: string, entry: CachedPolicy): void {
    this.entries.delete(domain);
    this.entries.set(domain, entry);
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.save();
  }

  get size(): number {
    return this.entries.size;
  }

  private save(): void {
    if (this.file === undefined) return;
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      const tmp = `${this.file}.tmp`;
      writeFileSync(tmp, JSON.stringify({ version: 1, policies: Object.fromEntries(this.entries) }));
      renameSync(tmp, this.file);
    } catch (err) {
      this.onError(err, 'write');
    }
  }
}

function isCachedPolicy(p: unknown): p is CachedPolicy {
  const c = p as Partial<CachedPolicy> | null;
  return (
    typeof c === 'object' &&
    c !== null &&
    typeof c.id === 'string' &&
    typeof c.expiresAt === 'number' &&
    typeof c.fetchedAt === 'number' &&
    typeof c.policy === 'object' &&
    Array.isArray(c.policy?.mx)
  );
}
