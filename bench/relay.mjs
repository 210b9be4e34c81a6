#!/usr/bin/env node
// Issue 9's benchmark: the same smtp-source load relayed through Postfix and through Petrel to one
// smtp-sink, in one run. Prints one JSON line per (peer, variant, run) and writes them to
// bench/results/relay.jsonl; bench/gen-performance.mjs turns the results into docs/performance.md.
//
// usage: node bench/relay.mjs [--messages 10000] [--sessions 20] [--runs 3] [--variants all|smoke]
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, appendFileSync, existsSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, peakRssMiB, percentile, processTree } from './lib/procs.mjs';
import { freePort, run, startPostfixRelay, startSmtpSink, waitForPort } from '../test/kit/dist/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'packages/petrel/dist/cli.js');
const args = Object.fromEntries(process.argv.slice(2).reduce((a, v, i, all) => (v.startsWith('--') ? [...a, [v.slice(2), all[i + 1]?.startsWith('--') || all[i + 1] === undefined ? 'true' : all[i + 1]]] : a), []));
const M = Number(args.messages ?? 10000);
const S = Number(args.sessions ?? 20);
const RUNS = Number(args.runs ?? 3);
const OUT = args.out ?? join(ROOT, 'bench/results/relay.jsonl');
const VARIANTS =
  args.variants === 'smoke'
    ? [{ name: '1KB new-conn 1rcpt', size: 1000, reuse: false, rcpts: 1 }]
    : [
        { name: '1KB new-conn 1rcpt', size: 1000, reuse: false, rcpts: 1 },
        { name: '1KB reuse 1rcpt', size: 1000, reuse: true, rcpts: 1 },
        { name: '100KB new-conn 1rcpt', size: 100_000, reuse: false, rcpts: 1 },
        { name: '1KB new-conn 20rcpt', size: 1000, reuse: false, rcpts: 20 },
      ];

/** smtp-source: -m messages over -s sessions, -l size, -r recipients (relay.test), -d reuse. */
async function load(port, v, messages) {
  const a = ['-s', String(S), '-m', String(messages), '-l', String(v.size), '-M', 'test.local', '-f', 'sender@test.local', '-t', 'rcpt@relay.test'];
  if (v.rcpts > 1) a.push('-r', String(v.rcpts));
  if (v.reuse) a.push('-d');
  a.push(`127.0.0.1:${port}`);
  const t0 = performance.now();
  const r = await run('smtp-source', a, { timeoutMs: 1_800_000 });
  if (r.code !== 0) throw new Error(`smtp-source failed: ${r.stdout}${r.stderr}`);
  return (performance.now() - t0) / 1000;
}

function petrelConfig(dir, listenPort, sinkPort) {
  return `hostname = "petrel.bench"
spool_dir = "spool"
log_dir = "log"
log_level = "warn"
[listener]
listen = ["127.0.0.1:${listenPort}"]
relay_networks = ["127.0.0.0/8"]
max_recipients = 100
[dns]
servers = ["127.0.0.1:9"]   # never asked: relay.test goes to its gateway by IP
[global]
max_outbound_connections = ${S}
tls = "no"
[domain."relay.test"]
gateway = ["127.0.0.1:${sinkPort}"]
`;
}

async function runPetrel(v, dir) {
  const sinkPort = await freePort();
  const listenPort = await freePort();
  const sink = await startSmtpSink([], { host: '127.0.0.1', port: sinkPort });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'petrel.toml'), petrelConfig(dir, listenPort, sinkPort));
  const child = spawn(process.execPath, [CLI, 'start', '--config', join(dir, 'petrel.toml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
  try {
    await waitForPort('127.0.0.1', listenPort);
    const expected = M * v.rcpts;
    const t0 = performance.now();
    const accept = await load(listenPort, v, M);
    const ok = await sink.waitForCount(M, 600_000);
    const e2e = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(child.pid);
    const rss = peakRssMiB(child.pid);
    // 250 → delivery latency per message from the event log (reception vs delivery time).
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    const lat = latencies(join(dir, 'log', 'events.jsonl'));
    return { accept_rate: M / accept, e2e_rate: M / e2e, delivered: sink.count(), complete: ok, expected_rcpts: expected, p50_ms: percentile(lat, 50), p99_ms: percentile(lat, 99), peak_rss_mib: rss, cpu_s: cpu };
  } catch (e) {
    throw new Error(`${e.message}\n${err}`);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await sink.stop();
  }
}

function latencies(file) {
  if (!existsSync(file)) return [];
  const recv = new Map();
  const out = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    const e = JSON.parse(line);
    if (e.type === 'reception' && !recv.has(e.message_id)) recv.set(e.message_id, Date.parse(e.time));
    else if (e.type === 'delivery' && recv.has(e.message_id)) {
      out.push(Date.parse(e.time) - recv.get(e.message_id));
      recv.delete(e.message_id);
    }
  }
  return out.sort((a, b) => a - b);
}

async function runPostfix(v, dir) {
  const sinkPort = await freePort();
  const listenPort = await freePort();
  const sink = await startSmtpSink([], { host: '127.0.0.1', port: sinkPort });
  let pf;
  try {
    pf = await startPostfixRelay(dir, listenPort, sinkPort);
    const t0 = performance.now();
    const accept = await load(listenPort, v, M);
    const ok = await sink.waitForCount(M, 600_000);
    const e2e = (performance.now() - t0) / 1000;
    const tree = processTree(pf.masterPid);
    const cpu = tree.reduce((n, p) => n + cpuSeconds(p), 0);
    const rss = tree.reduce((n, p) => n + peakRssMiB(p), 0);
    return { accept_rate: M / accept, e2e_rate: M / e2e, delivered: sink.count(), complete: ok, p50_ms: null, p99_ms: null, peak_rss_mib: rss, cpu_s: cpu, processes: tree.length };
  } finally {
    await pf?.stop();
    await sink.stop();
  }
}

const env = { node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, messages: M, sessions: S, date: new Date().toISOString() };
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
if (args.append !== 'true' && existsSync(OUT)) rmSync(OUT);
for (const v of VARIANTS) {
  for (let i = 0; i < RUNS; i++) {
    for (const [peer, fn] of [['postfix', runPostfix], ['petrel', runPetrel]]) {
      const dir = mkdtempSync(join(tmpdir(), `bench-${peer}-`));
      try {
        const r = await fn(v, dir);
        const rec = { bench: 'relay', peer, variant: v.name, run: i + 1, ...r, env };
        appendFileSync(OUT, `${JSON.stringify(rec)}\n`);
        console.log(JSON.stringify({ peer, variant: v.name, run: i + 1, accept: Math.round(r.accept_rate), e2e: Math.round(r.e2e_rate), p50: r.p50_ms, p99: r.p99_ms, rss: Math.round(r.peak_rss_mib), cpu: r.cpu_s, complete: r.complete }));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
}
