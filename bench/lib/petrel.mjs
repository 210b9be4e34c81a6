// The benchmarks' Petrel: `petrel start` (the built CLI) on a config written into `dir`.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './doc.mjs';
import { alive, descendants, waitForPort } from './procs.mjs';

const CLI = join(ROOT, 'packages/petrel/dist/cli.js');

/**
 * Starts Petrel in `dir` on `config` (TOML text) and waits for `listenPort`; `nodeArgs` go before the
 * CLI (e.g. --cpu-prof). `pids()` is its live process tree (Node: one process).
 */
export async function startPetrel(dir, config, listenPort, { nodeArgs = [], teardownMs = 20_000 } = {}) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'petrel.toml'), config);
  const child = spawn(process.execPath, [...nodeArgs, CLI, 'start', '--config', join(dir, 'petrel.toml')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
  const exited = new Promise((r) => child.once('exit', r));
  const seen = [child.pid];
  const pids = () => {
    const live = descendants(child.pid);
    for (const p of live) if (!seen.includes(p)) seen.push(p);
    return live;
  };
  try {
    await waitForPort('127.0.0.1', listenPort);
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(`${e.message}\n${err}`);
  }
  return {
    pid: child.pid,
    pids,
    crashed: () => child.exitCode !== null || child.signalCode !== null,
    stderr: () => err,
    events: join(dir, 'log', 'events.jsonl'),
    /** SIGTERM, then waits for the exit (SIGKILL after the teardown bound). */
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), teardownMs);
      await exited;
      clearTimeout(timer);
    },
    /** Every process ever seen in the tree that is still alive (orphans reparent away from it). */
    leftovers: () => seen.filter(alive),
  };
}
