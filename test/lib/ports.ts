import { createServer } from 'node:net';

/** A free TCP port on the given loopback address (bind to port 0, read it, release it). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, host, () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Polls `fn` until it returns a truthy value or `ms` passes (bounded). */
export async function waitFor<T>(what: string, fn: () => T | Promise<T>, ms = 15_000, every = 50): Promise<NonNullable<T>> {
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

/** Resolves when host:port accepts a TCP connection. */
export async function waitForPort(host: string, port: number, ms = 15_000): Promise<void> {
  const { connect } = await import('node:net');
  await waitFor(`${host}:${port} to accept connections`, () =>
    new Promise<boolean>((resolve) => {
      const c = connect({ host, port });
      c.once('connect', () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    }),
    ms,
  );
}
