/** Test fixtures: an EventLog on a real Bus, in a temporary log_dir, with a recording operator log. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Bus, ManualClock, parseConfig } from '@petrel/core';
import { EventLog } from './event-log.js';
import type { EventFileOptions } from './event-file.js';

export interface Fixture {
  readonly dir: string;
  readonly bus: Bus;
  readonly clock: ManualClock;
  readonly log: EventLog;
  /** Records the operator logger received. */
  readonly opLog: { level: number; msg: string }[];
  /** Errors the bus caught from subscribers. */
  readonly busErrors: unknown[];
  /** The lines of a file in dir, parsed. */
  read(name?: string): Record<string, unknown>[];
  cleanup(): Promise<void>;
}

/** `logDir` relative to the temp dir, so that tests can point it somewhere unusable. */
export async function fixture(
  opts: { logDir?: string; file?: EventFileOptions; start?: boolean; toml?: string } = {},
): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-eventlog-'));
  const logDir = join(dir, opts.logDir ?? 'log');
  const config = parseConfig(`log_dir = ${JSON.stringify(logDir)}\n${opts.toml ?? ''}`, join(dir, 'petrel.toml'));
  const busErrors: unknown[] = [];
  const bus = new Bus({ error: (o: unknown) => void busErrors.push(o) } as never);
  const clock = new ManualClock();
  const opLog: { level: number; msg: string }[] = [];
  const logger = pino(
    { level: 'info' },
    { write: (line: string) => void opLog.push(JSON.parse(line) as { level: number; msg: string }) },
  );
  const log = new EventLog({ config, bus, clock, logger }, opts.file ?? {});
  if (opts.start !== false) await log.start();
  let stopped = false;
  return {
    dir,
    bus,
    clock,
    log,
    opLog,
    busErrors,
    read: (name = 'log/events.jsonl') =>
      readFileSync(join(dir, name), 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    cleanup: async () => {
      if (!stopped) await log.stop();
      stopped = true;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
