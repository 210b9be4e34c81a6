// One relay run for the A/B benchmarks (relay-policy, relay-dkim): a counting sink, Petrel on a
// fresh config in `dir`, smtp-source's load, then the accept and end-to-end rates and Petrel's CPU.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, freePort, run, waitForPort } from './procs.mjs';
import { startCountingSink } from './sink.mjs';
import { petrelRelayConfig, smtpSourceArgs } from './relay-common.mjs';

const CLI = fileURLToPath(new URL('../../packages/petrel/dist/cli.js', import.meta.url));

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
  const child = spawn(process.execPath, [CLI, 'start', '--config', join(dir, 'petrel.toml')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
  try {
    await waitForPort('127.0.0.1', listenPort);
    const t0 = performance.now();
    const r = await run('smtp-source', smtpSourceArgs({ port: listenPort, sessions, messages }));
    if (r.code !== 0) throw new Error(`smtp-source failed: ${r.out}`);
    const accept = (performance.now() - t0) / 1000;
    const complete = await sink.waitFor(messages, 600_000);
    const e2e = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(child.pid);
    child.kill('SIGTERM');
    await new Promise((res) => child.once('exit', res));
    return {
      accept_rate: messages / accept,
      e2e_rate: messages / e2e,
      delivered: sink.count(),
      complete,
      cpu_s: cpu,
    };
  } catch (e) {
    throw new Error(`${e.message}\n${err}`);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await sink.stop();
  }
}
