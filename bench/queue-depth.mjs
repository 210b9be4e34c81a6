#!/usr/bin/env node
// Issue 20's queue-depth benchmark: the real daemon (`petrel start`) over a spool holding a huge queue.
//
// Depth mode (default): `--messages` (10^7) queued 1 KB messages for `--domains` (3000) domains, delivery
// suspended. Reports RSS over time (VmRSS of the daemon every second, from spawn to the end of the
// phase), the time until recovery has made the whole queue schedulable ("spool recovery done"), the
// answer times of `petrel queue --json`, `petrel summary` and `petrel queue shape` (wall clock of the
// CLI process, node start-up included), a sustained SMTP injection into the deep queue
// (smtp-source, `--smtp-messages`, 20 sessions, 1 KB), and restart → first delivery (kill -9, then a
// new daemon with delivery allowed: time from spawn to the first message at smtp-sink).
//
// Drain mode (`--drain`): `--messages` (10^6) for `--domains` (100) queued and held (suspend_delivery);
// the same daemon relays a fresh smtp-source load (`--relay-messages`, relay.test, not held) before
// and after, and the held queue is released by a config reload; drain rate = messages / seconds from
// the reload to the last delivery at the sink; ratio against the mean of the two fresh relay rates.
//
// Inject mode (`--inject`): an empty spool, delivery suspended; `--messages` (10^6) injected by
// smtp-source (20 sessions, 1 KB) in chunks of `--chunk` (100 000): the rate and RSS per chunk as the
// queue grows (is the rate sustained at depth?), then the answer times of the CLI verbs.
//
// Fill: the spool is written directly with SQL (the spool's own schema, one transaction per 100 000
// messages; bench/lib/spool-fill.mjs): the documented bulk path, far faster than SMTP at 10^7. The
// SMTP phase measures the sustained injection rate into the deep queue separately.
//
// usage: node bench/queue-depth.mjs [--messages 10000000] [--domains 3000] [--smtp-messages 20000]
//        node bench/queue-depth.mjs --inject [--messages 1000000] [--chunk 100000]
//        node bench/queue-depth.mjs --drain [--messages 1000000] [--domains 100] [--relay-messages 20000]
//          [--dir D (kept; reused when it holds a filled spool)] [--out bench/results/queue-depth.jsonl]
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, freePort, run, waitForPort } from './lib/procs.mjs';
import { startCountingSink } from './lib/sink.mjs';
import { summariseProfile } from './lib/cpu-profile.mjs';
import { machine } from './lib/doc.mjs';
import { fillNewSpool } from './lib/spool-fill.mjs';
import { parseArgs, smtpSourceArgs } from './lib/relay-common.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'packages/petrel/dist/cli.js');
const args = parseArgs(process.argv.slice(2));
const DRAIN = args.drain === 'true';
const INJECT = args.inject === 'true';
const N = Number(args.messages ?? (DRAIN || INJECT ? 1_000_000 : 10_000_000));
const CHUNK = Number(args.chunk ?? 100_000);
const D = Number(args.domains ?? (DRAIN ? 100 : 3000));
const SMTP_M = Number(args['smtp-messages'] ?? 20_000);
const RELAY_M = Number(args['relay-messages'] ?? 20_000);
// --profile: the drain-mode daemon runs under node --cpu-prof; its main-thread profile is summarised.
const PROFILE = args.profile === 'true';
const OUT = args.out ?? join(ROOT, 'bench/results/queue-depth.jsonl');
const KEEP = args.dir !== undefined;
const DIR = args.dir ?? mkdtempSync(join(tmpdir(), 'petrel-depth-'));
const command = `node bench/queue-depth.mjs ${process.argv.slice(2).join(' ')}`.trim();
/** Stops whatever a phase started if it throws: no daemon or sink outlives the benchmark. */
const cleanups = [];
const log = (...a) => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...a);

/** Writes N messages of 1 KB for D domains straight into the spool database (the bulk path). */
async function fill(spoolDir) {
  const marker = join(spoolDir, `filled-${N}-${D}`);
  if (existsSync(marker)) return { reused: true, secs: 0 };
  rmSync(spoolDir, { recursive: true, force: true });
  mkdirSync(spoolDir, { recursive: true });
  const t = performance.now();
  await fillNewSpool(spoolDir, {
    count: N,
    domains: D,
    prefix: 'depth',
    bodySize: 1000,
    progress: (n) => n % 1_000_000 === 0 && log(`filled ${n} of ${N}`),
  });
  writeFileSync(marker, '');
  return { reused: false, secs: (performance.now() - t) / 1000 };
}

function config({ listenPort, sinkPort, held, relayHeld = held, extra = '' }) {
  return `hostname = "petrel.bench"
spool_dir = "spool"
log_dir = "log"
log_level = "info"
[spool]
min_free_space = 0
[listener]
listen = ["127.0.0.1:${listenPort}"]
relay_networks = ["127.0.0.0/8"]
[dns]
servers = ["127.0.0.1:9"]   # never asked: every domain goes to the sink by IP
[global]
gateway = ["127.0.0.1:${sinkPort}"]
tls = "no"
message_expiration = "30d"
max_outbound_connections = 2
suspend_delivery = ${held}
[domain."relay.test"]
max_outbound_connections = 20
suspend_delivery = ${relayHeld}
${extra}`;
}

/** `petrel start` on DIR/petrel.toml, sampling its RSS every second into `rss`. */
function startDaemon(rss, t0, profileDir) {
  const prof = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const child = spawn(process.execPath, [...prof, CLI, 'start', '--config', join(DIR, 'petrel.toml')], {
    cwd: DIR,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  let recoveredAt;
  child.stderr.on('data', (d) => {
    err = (err + d).slice(-20_000);
    if (recoveredAt === undefined && String(d).includes('spool recovery done')) recoveredAt = performance.now();
  });
  const sample = () => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) rss.push([Math.round((performance.now() - t0) / 100) / 10, Math.round(Number(m[1]) / 1024)]);
    } catch {}
  };
  const timer = setInterval(sample, 1000);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  cleanups.push(() => {
    clearInterval(timer);
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return {
    child,
    recoveredAt: () => recoveredAt,
    stderr: () => err,
    kill9: async () => {
      clearInterval(timer);
      child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      clearInterval(timer);
      child.kill('SIGTERM');
      await exited;
    },
    sample,
  };
}

async function until(what, pred, ms, every = 200) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, every));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Wall-clock ms of one CLI call (node start-up included), and its stdout. */
async function timedCli(verb) {
  const t = performance.now();
  const r = await run(process.execPath, [CLI, ...verb, '--config', join(DIR, 'petrel.toml')], { cwd: DIR });
  if (r.code !== 0) throw new Error(`petrel ${verb.join(' ')} failed: ${r.out}`);
  return { ms: Math.round(performance.now() - t), out: r.out };
}

/** Wall-clock ms of one control API request on the daemon's socket (what the CLI waits for after start-up). */
function timedApi(path) {
  const t = performance.now();
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: join(DIR, 'spool', 'control.sock'), path, method: 'GET' }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - t) : reject(new Error(path))));
    });
    req.on('error', reject);
    req.end();
  });
}

const SHAPE_BOUNDS = [5, 10, 20, 40, 80, 160, 320, 640, 1280].map((m) => m * 60_000).join(',');

/** `petrel queue`, `summary` and `queue shape`: the API answer (3 tries, max) and the whole CLI call (once). */
async function cliTimes() {
  const out = {};
  for (const [name, verb, path] of [
    ['queue', ['queue', '--json'], '/v1/queue'],
    ['summary', ['summary'], '/v1/summary'],
    ['shape', ['queue', 'shape'], `/v1/queue/shape?bounds=${SHAPE_BOUNDS}`],
  ]) {
    const api = [];
    for (let i = 0; i < 3; i++) api.push(await timedApi(path));
    out[name] = { apiMsMax: Math.round(Math.max(...api)), cliMs: (await timedCli(verb)).ms };
  }
  return out;
}

async function queued() {
  const rows = JSON.parse((await timedCli(['queue', '--json'])).out);
  return rows.reduce((n, c) => n + c.active + c.delayed + c.inFlight, 0);
}

async function smtpLoad(listenPort, messages) {
  const t = performance.now();
  const r = await run('smtp-source', smtpSourceArgs({ port: listenPort, sessions: 20, messages, size: 1000 }));
  if (r.code !== 0) throw new Error(`smtp-source failed: ${r.out}`);
  return (performance.now() - t) / 1000;
}

const round = (x, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const env = () => ({
  ...machine(),
  load: loadavg().map((x) => round(x, 2)),
  date: new Date().toISOString().slice(0, 10),
});

/** The daemon on DIR with delivery held, listening: its ports, RSS samples, start time and ms to listen. */
async function startHeld() {
  const listenPort = await freePort();
  const sinkPort = await freePort();
  writeFileSync(join(DIR, 'petrel.toml'), config({ listenPort, sinkPort, held: true }));
  const rss = [];
  const t0 = performance.now();
  const d = startDaemon(rss, t0);
  await waitForPort('127.0.0.1', listenPort, 120_000);
  return { listenPort, sinkPort, rss, t0, d, listenMs: performance.now() - t0 };
}

async function depth() {
  const filled = await fill(join(DIR, 'spool'));
  log(`fill: ${filled.reused ? 'reused' : `${round(filled.secs)} s`}`);
  const { listenPort, sinkPort, rss, t0, d, listenMs } = await startHeld();
  const during = await cliTimes(); // while recovery streams the queue in
  await until('recovery done', () => d.recoveredAt() !== undefined, 6 * 3600_000, 1000);
  const recoverySecs = (d.recoveredAt() - t0) / 1000;
  log(`recovered in ${round(recoverySecs)} s`);
  const total = await queued();
  const after = await cliTimes();
  const smtpSecs = await smtpLoad(listenPort, SMTP_M);
  const afterSmtp = await queued();
  const cli = await cliTimes();
  d.sample();
  await d.kill9();
  // Restart with delivery allowed: how soon does the first message leave?
  const sink = await startCountingSink('127.0.0.1', sinkPort);
  cleanups.push(() => void sink.stop().catch(() => undefined));
  writeFileSync(join(DIR, 'petrel.toml'), config({ listenPort, sinkPort, held: false }));
  const rss2 = [];
  const t1 = performance.now();
  const d2 = startDaemon(rss2, t1);
  // Process start-up (node, modules, config, spool open) is not the queue's: time it apart.
  const listening = waitForPort('127.0.0.1', listenPort, 120_000).then(() => performance.now() - t1);
  await until('the first delivery', () => sink.count() > 0, 600_000, 20);
  const firstDeliveryMs = performance.now() - t1;
  const restartListenMs = await listening;
  await d2.kill9();
  await sink.stop();
  return {
    bench: 'queue-depth',
    command,
    ...env(),
    messages: N,
    domains: D,
    fillSecs: round(filled.secs),
    fillReused: filled.reused,
    listenMs: Math.round(listenMs),
    recoverySecs: round(recoverySecs),
    queued: total,
    cliDuringRecovery: during,
    cliAfterRecovery: after,
    cliAfterSmtp: cli,
    smtpMessages: SMTP_M,
    smtpRate: round(SMTP_M / smtpSecs),
    queuedAfterSmtp: afterSmtp,
    peakRssMiB: Math.max(...rss.map((x) => x[1])),
    rss,
    restartToFirstDeliveryMs: Math.round(firstDeliveryMs),
    restartListenMs: Math.round(restartListenMs),
  };
}

async function drain() {
  const filled = await fill(join(DIR, 'spool'));
  log(`fill: ${filled.reused ? 'reused' : `${round(filled.secs)} s`}`);
  const listenPort = await freePort();
  const sinkPort = await freePort();
  const sink = await startCountingSink('127.0.0.1', sinkPort);
  cleanups.push(() => void sink.stop().catch(() => undefined));
  writeFileSync(join(DIR, 'petrel.toml'), config({ listenPort, sinkPort, held: true, relayHeld: false }));
  const rss = [];
  const t0 = performance.now();
  const profileDir = PROFILE ? join(DIR, 'profile') : undefined;
  const d = startDaemon(rss, t0, profileDir);
  await waitForPort('127.0.0.1', listenPort, 120_000);
  await until('recovery done', () => d.recoveredAt() !== undefined, 6 * 3600_000, 1000);
  const recoverySecs = (d.recoveredAt() - t0) / 1000;
  const total = await queued();
  log(`recovered ${total} in ${round(recoverySecs)} s`);
  const relay = async () => {
    const before = sink.count();
    const t = performance.now();
    await smtpLoad(listenPort, RELAY_M);
    await until('the fresh load delivered', () => sink.count() >= before + RELAY_M, 3600_000, 50);
    return RELAY_M / ((performance.now() - t) / 1000);
  };
  const freshBefore = await relay();
  log(`fresh relay before: ${round(freshBefore)} msg/s`);
  const base = sink.count();
  writeFileSync(join(DIR, 'petrel.toml'), config({ listenPort, sinkPort, held: false }));
  const t = performance.now();
  await timedCli(['config', 'reload']);
  await until('the held queue drained', () => sink.count() >= base + total, 24 * 3600_000, 100);
  const drainSecs = (performance.now() - t) / 1000;
  log(`drained ${total} in ${round(drainSecs)} s`);
  const freshAfter = await relay();
  log(`fresh relay after: ${round(freshAfter)} msg/s`);
  // CPU of all the daemon's threads (user + system, from /proc) over its life, before it stops.
  const cpuSecs = cpuSeconds(d.child.pid);
  await d.stop();
  await sink.stop();
  const drainRate = total / drainSecs;
  // Main-thread CPU over the daemon's whole life (recovery, two fresh loads, the drain) per message.
  const profile = profileDir ? summariseProfile(profileDir) : undefined;
  const handled = total + 2 * RELAY_M;
  return {
    bench: 'queue-drain',
    command,
    ...env(),
    messages: N,
    domains: D,
    fillSecs: round(filled.secs),
    recoverySecs: round(recoverySecs),
    queued: total,
    relayMessages: RELAY_M,
    freshRateBefore: round(freshBefore),
    freshRateAfter: round(freshAfter),
    drainSecs: round(drainSecs),
    drainRate: round(drainRate),
    ratio: round(drainRate / ((freshBefore + freshAfter) / 2), 2),
    cpuSecs: round(cpuSecs),
    cpuUsPerMessage: Math.round((cpuSecs * 1e6) / (total + 2 * RELAY_M)),
    peakRssMiB: Math.max(...rss.map((x) => x[1])),
    ...(profile ? { profile: { ...profile, usPerMessage: Math.round((profile.busyMs * 1000) / handled) } } : {}),
    rss,
  };
}

/** An empty spool, delivery held, N injected over SMTP in chunks: the rate and RSS per chunk. */
async function inject() {
  rmSync(join(DIR, 'spool'), { recursive: true, force: true });
  const { listenPort, rss, d } = await startHeld();
  const chunks = [];
  for (let sent = 0; sent < N; ) {
    const n = Math.min(CHUNK, N - sent);
    const secs = await smtpLoad(listenPort, n);
    sent += n;
    d.sample();
    chunks.push({ upTo: sent, rate: round(n / secs), rssMiB: rss.at(-1)?.[1] ?? 0 });
    log(`injected ${sent} of ${N}: ${round(n / secs)} msg/s`);
  }
  const total = await queued();
  const cli = await cliTimes();
  const cpuSecs = cpuSeconds(d.child.pid);
  await d.stop();
  const rates = chunks.map((c) => c.rate);
  const secs = chunks.reduce((s, c, i) => s + (c.upTo - (chunks[i - 1]?.upTo ?? 0)) / c.rate, 0);
  return {
    bench: 'queue-inject',
    command,
    ...env(),
    messages: N,
    chunk: CHUNK,
    queued: total,
    rate: round(N / secs),
    minChunkRate: Math.min(...rates),
    maxChunkRate: Math.max(...rates),
    chunks,
    cliAfterInject: cli,
    cpuUsPerMessage: Math.round((cpuSecs * 1e6) / N),
    peakRssMiB: Math.max(...rss.map((x) => x[1])),
    rss,
  };
}

try {
  const result = DRAIN ? await drain() : INJECT ? await inject() : await depth();
  const { rss, ...summary } = result;
  console.log(JSON.stringify(summary));
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  appendFileSync(OUT, `${JSON.stringify(result)}\n`);
} finally {
  for (const fn of cleanups) fn();
  if (!KEEP) rmSync(DIR, { recursive: true, force: true });
}
