#!/usr/bin/env node
// Issue 15's benchmark: the relay with a policy module that defines every hook as a no-op, against
// the same relay without modules, in one run (runs alternate, so machine noise hits both alike).
// Target: with modules ≥ 0.95× without. Prints one JSON line per (variant, run) and writes them to
// bench/results/relay-policy.jsonl; bench/gen-policy-doc.mjs turns them into
// docs/performance/policy.md (then bench/gen-performance.mjs into docs/performance.md).
//
// usage: node bench/relay-policy.mjs [--messages 5000] [--sessions 10] [--runs 3]
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, freePort, run, waitForPort } from './lib/procs.mjs';
import { startCountingSink } from './lib/sink.mjs';
import { parseArgs, petrelRelayConfig, smtpSourceArgs } from './lib/relay-common.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'packages/petrel/dist/cli.js');
const args = parseArgs(process.argv.slice(2));
const M = Number(args.messages ?? 5000);
const S = Number(args.sessions ?? 10);
const RUNS = Number(args.runs ?? 3);
const OUT = args.out ?? join(ROOT, 'bench/results/relay-policy.jsonl');

/** Every hook, each doing nothing: the cost of the hook machinery itself. */
const NOOP_MODULE = `export default {
  connect() {}, ehlo() {}, mailFrom() {}, rcptTo() {}, data() {},
  setBinding() {}, connectionGoal() {}, beforeDelivery() {}, clientStates() {}, classify() {},
  onReception() {}, onDelivery() {}, onTransientFailure() {}, onPermanentFailure() {}, onBounce() {}, onRejection() {},
};
`;

async function once(withPolicy, dir) {
  const sinkPort = await freePort();
  const listenPort = await freePort();
  const sink = await startCountingSink('127.0.0.1', sinkPort);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'noop.mjs'), NOOP_MODULE);
  writeFileSync(
    join(dir, 'petrel.toml'),
    petrelRelayConfig(listenPort, sinkPort, S, withPolicy ? '\n[[policy]]\nmodule = "noop.mjs"\n' : ''),
  );
  const child = spawn(process.execPath, [CLI, 'start', '--config', join(dir, 'petrel.toml')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
  try {
    await waitForPort('127.0.0.1', listenPort);
    const t0 = performance.now();
    const r = await run('smtp-source', smtpSourceArgs({ port: listenPort, sessions: S, messages: M }));
    if (r.code !== 0) throw new Error(`smtp-source failed: ${r.out}`);
    const accept = (performance.now() - t0) / 1000;
    const complete = await sink.waitFor(M, 600_000);
    const e2e = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(child.pid);
    child.kill('SIGTERM');
    await new Promise((res) => child.once('exit', res));
    return { accept_rate: M / accept, e2e_rate: M / e2e, delivered: sink.count(), complete, cpu_s: cpu };
  } catch (e) {
    throw new Error(`${e.message}\n${err}`);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await sink.stop();
  }
}

const env = {
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  messages: M,
  sessions: S,
  date: new Date().toISOString(),
};
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
if (args.append !== 'true' && existsSync(OUT)) rmSync(OUT);
for (let i = 0; i < RUNS; i++) {
  // Alternate which goes first, so a drift in machine load does not favour one variant.
  const order = i % 2 === 0 ? [false, true] : [true, false];
  for (const withPolicy of order) {
    const variant = withPolicy ? 'no-op module, every hook' : 'no modules';
    const dir = mkdtempSync(join(tmpdir(), 'bench-policy-'));
    try {
      const r = await once(withPolicy, dir);
      appendFileSync(OUT, `${JSON.stringify({ bench: 'relay-policy', variant, run: i + 1, ...r, env })}\n`);
      console.log(
        JSON.stringify({
          variant,
          run: i + 1,
          accept: Math.round(r.accept_rate),
          e2e: Math.round(r.e2e_rate),
          cpu: r.cpu_s,
          complete: r.complete,
        }),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
