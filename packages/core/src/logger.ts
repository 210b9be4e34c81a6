import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

/** The operator log: JSON lines on stderr (pino), one child logger per service. */
export function createLogger(opts: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    { level: opts.level ?? 'info', base: { pid: process.pid } },
    opts.destination ?? pino.destination({ fd: 2, sync: false }),
  );
}

/** A logger that discards everything, for unit tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
