/**
 * The watchdog's thread (watchdog.ts): checks the main loop's heartbeat every beat; past the
 * limit it writes one line to stderr and kills the process with SIGKILL.
 */
import { writeSync } from 'node:fs';
import { workerData } from 'node:worker_threads';

const data = workerData as { buffer: SharedArrayBuffer; timeoutMs: number; beatMs: number; pid: number };
const beats = new BigInt64Array(data.buffer);
setInterval(() => {
  if (Atomics.load(beats, 1) === 1n) process.exit(0);
  const blocked = Date.now() - Number(Atomics.load(beats, 0));
  if (blocked <= data.timeoutMs) return;
  const msg =
    `watchdog: the event loop has been blocked for ${blocked} ms (limit ${data.timeoutMs} ms), e.g. by a ` +
    `synchronous infinite loop in a policy hook; killing the process (SIGKILL) so that the supervisor restarts it`;
  // One JSON line like the operator log (pino level 60 = fatal), written synchronously: nothing after this runs.
  writeSync(2, `${JSON.stringify({ level: 60, time: Date.now(), pid: data.pid, msg })}\n`);
  process.kill(data.pid, 'SIGKILL');
}, data.beatMs);
