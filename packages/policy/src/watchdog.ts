/**
 * The event-loop watchdog. A synchronous infinite loop in a hook (or anywhere) cannot be
 * interrupted from the main thread, so a worker thread watches a heartbeat the main loop writes
 * into shared memory. When the main loop has not beaten for `timeoutMs`, the worker writes one
 * line to stderr and kills the whole process with SIGKILL; the supervisor (systemd, the
 * container runtime) restarts it. Nothing acknowledged is lost: 250 comes only after fsync, and
 * the spool replays unfinished mail at start.
 */
import { Worker } from 'node:worker_threads';

export interface WatchdogOptions {
  /** How long the main loop may be blocked before the process is killed, ms. */
  readonly timeoutMs: number;
  /** Heartbeat period, ms; default timeoutMs / 10, at most 1 s. */
  readonly beatMs?: number;
}

export interface Watchdog {
  stop(): void;
}

/** Starts the watchdog; the heartbeat timer and the worker never keep the process alive. */
export function startWatchdog(opts: WatchdogOptions): Watchdog {
  const beatMs = opts.beatMs ?? Math.max(10, Math.min(1000, Math.floor(opts.timeoutMs / 10)));
  const buffer = new SharedArrayBuffer(16);
  const beats = new BigInt64Array(buffer);
  const beat = (): void => void Atomics.store(beats, 0, BigInt(Date.now()));
  beat();
  const timer = setInterval(beat, beatMs);
  timer.unref();
  const worker = new Worker(new URL('./watchdog-worker.js', import.meta.url), {
    execArgv: [],
    workerData: { buffer, timeoutMs: opts.timeoutMs, beatMs, pid: process.pid },
  });
  worker.unref();
  // The watchdog failing must not take the daemon down: say so once.
  worker.on('error', (err) => process.stderr.write(`watchdog thread failed: ${String(err)}\n`));
  return {
    stop() {
      clearInterval(timer);
      Atomics.store(beats, 1, 1n);
      void worker.terminate();
    },
  };
}
