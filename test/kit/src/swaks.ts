import { run } from './procs.js';

/** swaks, the independent SMTP client; returns its exit code and transcript. */
export async function swaks(args: readonly string[]): Promise<{ code: number | null; out: string }> {
  const r = await run('swaks', [...args, '--timeout', '20'], { timeoutMs: 40_000 });
  return { code: r.code, out: r.stdout + r.stderr };
}
