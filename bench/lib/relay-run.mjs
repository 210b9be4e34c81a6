// The A/B benchmarks' harness (relay-policy, relay-dkim; inject-http uses the rotation and the
// results file): one relay run (a counting sink, Petrel on a fresh config, smtp-source's load, then
// the accept and end-to-end rates and Petrel's CPU), and variants rotating from run to run.
// Their docs' relay table: abRow and abRatio in ./doc.mjs.
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cpuSeconds, freePort, run, spawnPetrel, waitForPort } from './procs.mjs';
import { startCountingSink } from './sink.mjs';
import { petrelRelayConfig, smtpSourceArgs } from './relay-common.mjs';
import { machine } from './doc.mjs';

/**
 * Runs `messages` 1 KB messages over `sessions` through Petrel; `extra` is appended to its config,
 * `files` ({ name: text }) are written beside it first.
 */
export async function relayOnce({ dir, sessions, messages, extra = '', files = {} }) {
  const sinkPort = await freePort();
  const listenPort = await freePort();
  const sink = await startCountingSink('127.0.0.1', sinkPort);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text, { mode: 0o600 });
  writeFileSync(join(dir, 'petrel.toml'), petrelRelayConfig(listenPort, sinkPort, sessions, extra));
  const petrel = spawnPetrel(join(dir, 'petrel.toml'));
  const { child } = petrel;
  try {
    await waitForPort('127.0.0.1', listenPort);
    const t0 = performance.now();
    const r = await run('smtp-source', smtpSourceArgs({ port: listenPort, sessions, messages }));
    if (r.code !== 0) throw new Error(`smtp-source failed: ${r.out}`);
    const accept = (performance.now() - t0) / 1000;
    const complete = await sink.waitFor(messages, 600_000);
    const e2e = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(child.pid);
    await petrel.stop();
    return {
      accept_rate: messages / accept,
      e2e_rate: messages / e2e,
      delivered: sink.count(),
      complete,
      cpu_s: cpu,
    };
  } catch (e) {
    throw new Error(`${e.message}\n${petrel.stderr()}`);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await sink.stop();
  }
}

/** What a run's records carry: the machine, the load's parameters and the date. */
export function runEnv(load) {
  return { ...machine(), ...load, date: new Date().toISOString() };
}

/** A fresh results file (kept and appended to when `append`); returns `file`. */
export function resultsFile(file, append = false) {
  mkdirSync(dirname(file), { recursive: true });
  if (!append && existsSync(file)) rmSync(file);
  return file;
}

/** Appends one record to a JSON-lines results file. */
export function record(file, rec) {
  appendFileSync(file, `${JSON.stringify(rec)}\n`);
}

/**
 * `runs` rounds of every variant, each in a fresh temporary directory (removed after): the order
 * rotates from run to run, so that a drift in machine load does not favour one variant (with two,
 * they alternate). `fn(variant, run, dir)`; `run` counts from 1.
 */
export async function rotate(runs, variants, prefix, fn) {
  for (let i = 0; i < runs; i++) {
    for (const variant of variants.map((_, k) => variants[(k + i) % variants.length])) {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      try {
        await fn(variant, i + 1, dir);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
}
