import { createRequire } from 'node:module';
import type { DestinationStream, Logger } from 'pino';

export type { Logger } from 'pino';

type Pino = typeof import('pino').pino;
let loaded: Pino | undefined;

/**
 * pino, loaded on first use (it is CommonJS, so synchronously): a CLI call that never logs
 * (`petrel status`, `petrel queue`) does not pay the ~40 ms its module graph takes to load.
 */
function pino(): Pino {
  loaded ??= (createRequire(import.meta.url)('pino') as { pino: Pino }).pino;
  return loaded;
}

/** The operator log: JSON lines on stderr (pino), one child logger per service. */
export function createLogger(opts: { level?: string; destination?: DestinationStream } = {}): Logger {
  const p = pino();
  return p(
    { level: opts.level ?? 'info', base: { pid: process.pid } },
    opts.destination ?? p.destination({ fd: 2, sync: false }),
  );
}

/** A logger that discards everything, for unit tests. */
export function silentLogger(): Logger {
  return pino()({ level: 'silent' });
}
