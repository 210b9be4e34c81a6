// Counts a peer's fsync-family system calls with strace: attach to every process of the peer (-f
// also follows the children it forks later, and every thread of a multi-threaded process), let a
// short load through, stop the peer (strace ends when its last tracee does: the count runs from
// attach to exit, shutdown included) and read strace's -c summary.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

export const SYNC_CALLS = ['fsync', 'fdatasync', 'sync_file_range', 'syncfs', 'msync'];

export function straceAvailable() {
  return spawnSync('strace', ['-V']).status === 0;
}

/** Starts tracing `pids`; resolves once strace has attached to all of them. */
export async function startFsyncTrace(pids, outFile) {
  const args = ['-f', '-c', '-o', outFile, '-e', `trace=${SYNC_CALLS.join(',')}`];
  for (const p of pids) args.push('-p', String(p));
  const child = spawn('strace', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  let attached = 0;
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`strace did not attach within 10 s: ${err}`)), 10_000);
    child.stderr.on('data', (d) => {
      err += d;
      attached = (err.match(/attached/g) ?? []).length;
      if (attached >= pids.length) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`strace exited (${code}): ${err}`));
    });
  });
  return {
    /**
     * Call once the peer was told to stop: waits (at most `ms`) for strace to end with its tracees,
     * else detaches it with SIGINT. Returns { fsync: n, fdatasync: n, ..., total: n, detached }.
     */
    async finish(ms = 30_000) {
      const exited = child.exitCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', r));
      let detached = false;
      const timer = setTimeout(() => {
        detached = true;
        child.kill('SIGINT');
      }, ms);
      await exited;
      clearTimeout(timer);
      const summary = parseSummary(existsSync(outFile) ? readFileSync(outFile, 'utf8') : '');
      rmSync(outFile, { force: true });
      return { ...summary, detached };
    },
  };
}

/** strace -c table: "% time seconds usecs/call calls errors syscall". */
export function parseSummary(text) {
  const out = { total: 0 };
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    const name = f[f.length - 1];
    if (!SYNC_CALLS.includes(name)) continue;
    // errors column is empty when there were none: calls is the 4th field either way
    out[name] = Number(f[3]);
    out.total += Number(f[3]);
  }
  return out;
}
