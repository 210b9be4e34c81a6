/** Unit-test helpers: a private redis-server and links to it as separate "nodes". */
import {
  SystemClock,
  silentLogger,
  type Logger,
  type SuppressionEntry,
  type SuppressionFilter,
  type SuppressionReason,
  type SuppressionStore,
} from '@petrel/core';
import { startRedis, type Redis } from '@petrel/testkit';
import { Keys } from './keys.js';
import { RedisLink } from './redis-link.js';

export { startRedis, type Redis };

/** A link as a node would open it, with short timeouts; the caller stops it. */
export async function openLink(
  redis: { readonly url: string },
  name: string,
  opts: { commandTimeoutMs?: number; logger?: Logger } = {},
): Promise<RedisLink> {
  const link = new RedisLink({
    url: redis.url,
    name,
    commandTimeoutMs: opts.commandTimeoutMs ?? 1000,
    connectTimeoutMs: 1000,
    clock: new SystemClock(),
    logger: opts.logger ?? silentLogger(),
  });
  await link.start();
  return link;
}

export const keys = new Keys('t');

/** What a table sync (suspensions, suppressions) is built from, for node `name` on its own link. */
export async function syncEnv(redis: { readonly url: string }, name: string, reconcileIntervalMs = 60_000) {
  const link = await openLink(redis, name, { commandTimeoutMs: 1000 });
  return { link, keys, clock: new SystemClock(), logger: silentLogger(), node: name, reconcileIntervalMs };
}

/** Resolves when `check` holds, polling every 10 ms; throws after `ms`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  for (let i = 0; i < 100_000 && Date.now() < deadline; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

/** A node's own suppression store in memory (the spool's SQLite store in the daemon), with list filters. */
export class MemorySuppressions implements SuppressionStore {
  readonly rows = new Map<string, SuppressionEntry>();
  add(entries: readonly SuppressionEntry[]): Promise<number> {
    for (const e of entries) this.rows.set(`${e.scope}|${e.address}`, e);
    return Promise.resolve(entries.length);
  }
  remove(address: string, scope?: string): Promise<number> {
    let n = 0;
    for (const [k, e] of this.rows)
      if (e.address === address && (scope === undefined || e.scope === scope)) n += this.rows.delete(k) ? 1 : 0;
    return Promise.resolve(n);
  }
  find(address: string, scopes: readonly string[]): Promise<SuppressionEntry | undefined> {
    for (const a of [address, address.slice(address.lastIndexOf('@'))])
      for (const s of scopes) {
        const e = this.rows.get(`${s}|${a}`);
        if (e) return Promise.resolve(e);
      }
    return Promise.resolve(undefined);
  }
  list(f: SuppressionFilter): Promise<readonly SuppressionEntry[]> {
    return Promise.resolve(
      [...this.rows.values()].filter(
        (e) => (f.address === undefined || e.address === f.address) && (f.scope === undefined || e.scope === f.scope),
      ),
    );
  }
  counts(): Promise<Record<SuppressionReason, number>> {
    const out = { hard_bounce: 0, out_of_band: 0, complaint: 0, manual: 0 };
    for (const e of this.rows.values()) out[e.reason]++;
    return Promise.resolve(out);
  }
}
