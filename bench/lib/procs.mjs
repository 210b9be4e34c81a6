// Process accounting for benchmarks: CPU and peak RSS from /proc. Peers, ports and process
// helpers come from the test kit (test/kit, built: `pnpm build`).
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { run as kitRun } from '../../test/kit/dist/index.js';

export { freePort, waitForPort } from '../../test/kit/dist/index.js';

/** The kit's run() with both streams in one `out` (what the benchmark scripts parse). */
export async function run(cmd, args, opts = {}) {
  const r = await kitRun(cmd, args, { timeoutMs: 1_800_000, ...opts });
  return { code: r.code, out: r.stdout + r.stderr };
}

const TICK = 100; // USER_HZ on Linux
/** CPU seconds (user + system) of a pid, 0 if gone. */
export function cpuSeconds(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / TICK;
  } catch {
    return 0;
  }
}

/** Peak RSS in MiB (VmHWM) of a pid, 0 if gone. */
export function peakRssMiB(pid) {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** pid and every descendant (for Postfix: master and its children). */
export function processTree(root) {
  const children = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(d));
    } catch {}
  }
  const out = [];
  const walk = (p) => {
    out.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(root);
  return out;
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * CPU seconds of a process tree: utime + stime of every live member, plus the root's cutime + cstime
 * (children it has already reaped, e.g. Postfix smtpd processes that exited after max_idle/max_use).
 */
export function treeCpuSeconds(root, pids) {
  let s = 0;
  for (const p of pids) s += cpuSeconds(p);
  try {
    const f = readFileSync(`/proc/${root}/stat`, 'utf8').split(') ')[1].split(' ');
    s += (Number(f[13]) + Number(f[14])) / TICK;
  } catch {}
  return s;
}

/**
 * Proportional set size in KiB (/proc/<pid>/smaps_rollup): shared pages (libraries, Postfix's
 * shared text, SQLite's mapped WAL index) are divided among the processes mapping them, so the sum
 * over a multi-process peer counts each page once; summed RSS counts shared pages once per process.
 * 0 if the process is gone.
 */
export function pssKiB(pid) {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Live (not zombie) processes whose environment holds `entry` exactly (e.g. MAIL_CONFIG=/dir/etc). */
export function pidsWithEnv(entry) {
  const out = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (!readFileSync(`/proc/${d}/environ`, 'latin1').split('\0').includes(entry)) continue;
      if (readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1].startsWith('Z')) continue;
      out.push(Number(d));
    } catch {}
  }
  return out;
}

/**
 * pid and its descendants from /proc/<pid>/task/<tid>/children: a few small reads instead of a scan
 * of all of /proc, so that sampling every 250 ms takes little CPU from the peer being measured. A
 * process forked during the walk may be missed by one sample.
 */
export function descendants(root) {
  const out = [];
  const walk = (p) => {
    if (!alive(p)) return;
    out.push(p);
    let tasks = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {}
    for (const t of tasks) {
      let kids = '';
      try {
        kids = readFileSync(`/proc/${p}/task/${t}/children`, 'utf8');
      } catch {}
      for (const k of kids.split(' ')) if (k.trim()) walk(Number(k));
    }
  };
  walk(root);
  return out;
}

/** Is a process alive (not a zombie)? */
export function alive(pid) {
  try {
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].startsWith('Z');
  } catch {
    return false;
  }
}

/** Does something accept connections on host:port right now? */
export function portOpen(host, port) {
  return new Promise((r) => {
    const c = connect({ host, port });
    c.once('connect', () => {
      c.destroy();
      r(true);
    });
    c.once('error', () => r(false));
  });
}

/**
 * Polls (every 100 ms, at most `ms`) until `pids()` is empty and no port in `ports` accepts
 * connections; throws naming what is left otherwise, so that no run starts while the previous
 * peer still holds CPU, memory or a port.
 */
export async function waitGone(what, pids, ports, ms = 20_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = pids();
    const open = [];
    for (const p of ports) if (await portOpen('127.0.0.1', p)) open.push(p);
    if (!left.length && !open.length) return;
    if (Date.now() >= deadline)
      throw new Error(
        `${what} still running ${ms} ms after stop: pids [${left.join(', ')}], open ports [${open.join(', ')}]`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Samples the summed PSS of `pids()` every `everyMs` until stopped: peak and mean of the sums, in
 * MiB, the most processes seen at once, and the wall time the sampling itself took (reading
 * smaps_rollup walks page tables: this CPU is taken from the machine the peer runs on).
 */
export function pssSampler(pids, everyMs = 500) {
  let peak = 0;
  let total = 0;
  let n = 0;
  let procs = 0;
  let spent = 0;
  const sample = () => {
    const t0 = performance.now();
    try {
      once();
    } finally {
      spent += performance.now() - t0;
    }
  };
  const once = () => {
    const ps = pids();
    let kib = 0;
    for (const p of ps) kib += pssKiB(p);
    if (kib === 0) return;
    peak = Math.max(peak, kib);
    total += kib;
    n++;
    procs = Math.max(procs, ps.length);
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      sample();
      clearInterval(timer);
      return {
        peak_pss_mib: peak / 1024,
        mean_pss_mib: n ? total / n / 1024 : NaN,
        pss_samples: n,
        pss_sampling_ms: spent,
        max_processes: procs,
      };
    },
  };
}

/**
 * `petrel start --config <configFile>` as a child (the built CLI), stderr kept (its last 4000
 * characters) for the error message of a failed run; `stop()` sends SIGTERM and waits for the exit.
 */
export function spawnPetrel(configFile) {
  const cli = fileURLToPath(new URL('../../packages/petrel/dist/cli.js', import.meta.url));
  const child = spawn(process.execPath, [cli, 'start', '--config', configFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
  return {
    child,
    stderr: () => err,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
    },
  };
}
