/**
 * Long queue operations (fail or reroute of 100k messages) run in chunks of `chunk` jobs, so the
 * daemon keeps delivering between them; on a TTY a progress bar shows the chunks go by.
 */
import type { ControlClient } from '../control-client.js';

function bar(done: number, total: number, width = 30): string {
  const f = total === 0 ? 1 : Math.min(1, done / total);
  const n = Math.round(f * width);
  return `[${'#'.repeat(n)}${'-'.repeat(width - n)}] ${done}/${total} (${Math.round(f * 100)}%)`;
}

/**
 * Counts with a dry run, then repeats the call with `limit: chunk` until a call does nothing.
 * Returns the total acted on. `key` is the result field ("failed", "moved").
 */
export async function chunked(
  c: ControlClient,
  path: string,
  body: Record<string, unknown>,
  key: string,
  chunk: number,
  label: string,
): Promise<number> {
  const tty = process.stderr.isTTY === true;
  const total = (await c.post<Record<string, number>>(path, { ...body, dryRun: true }))[key] ?? 0;
  let done = 0;
  // Bounded: each round removes at least one job or ends; mail arriving meanwhile is capped by 2×.
  for (let round = 0; round < Math.ceil((2 * total) / chunk) + 2; round++) {
    const n = (await c.post<Record<string, number>>(path, { ...body, limit: chunk }))[key] ?? 0;
    done += n;
    if (tty) process.stderr.write(`\r${label} ${bar(Math.min(done, Math.max(total, done)), Math.max(total, done))}`);
    if (n === 0 || n < chunk) break;
  }
  if (tty) process.stderr.write('\n');
  return done;
}
