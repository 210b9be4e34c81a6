/** Loopback ports: a free one, a refused one, and bounded waits for one to accept. */
import { connect, createServer } from 'node:net';
import { once } from 'node:events';

/** A free TCP port on the given loopback address (bind to port 0, read it, release it). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const s = createServer();
  s.unref();
  s.listen(0, host);
  await once(s, 'listening');
  const addr = s.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A port on 127.0.0.1 that was free a moment ago: connecting to it is refused. */
export const closedPort = (): Promise<number> => freePort('127.0.0.1');

/** Polls `fn` until it returns a truthy value or `ms` passes (bounded). */
export async function waitFor<T>(
  what: string,
  fn: () => T | Promise<T>,
  ms = 15_000,
  every = 50,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (let i = 0; Date.now() < deadline && i < 100_000; i++) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, every));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}

/** True when host:port accepts a TCP connection now (closed at once); false on refusal or after 1 s. */
export function accepts(host: string, port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const c = connect({ host, port });
    const t = setTimeout(() => done(false), 1000);
    const done = (ok: boolean): void => {
      clearTimeout(t);
      c.destroy();
      resolve(ok);
    };
    c.once('connect', () => done(true));
    c.once('error', () => done(false));
  });
}

/** Resolves when host:port accepts a TCP connection. */
export async function waitForPort(host: string, port: number, ms = 15_000): Promise<void> {
  await waitFor(`${host}:${port} to accept connections`, () => accepts(host, port), ms);
}
