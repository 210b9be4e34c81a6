/** Unit-test helpers: a private redis-server and links to it as separate "nodes". */
import { SystemClock, silentLogger, type Logger } from '@petrel/core';
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

/** Resolves when `check` holds, polling every 10 ms; throws after `ms`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  for (let i = 0; i < 100_000 && Date.now() < deadline; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}
