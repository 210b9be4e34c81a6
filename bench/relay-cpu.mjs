#!/usr/bin/env node
// Where the CPU goes in the 1 KB new-connection relay (issue 20: "a profile summary of where the CPU
// goes per message"; the 35%-of-direct target). Per run, alternating: smtp-source → smtp-sink direct,
// then smtp-source → Petrel → smtp-sink; CPU per message of every process on the machine's cores
// (smtp-source from its shell's `times`, smtp-sink and each of Petrel's threads from /proc), so the
// figure shows whether a relay rate is bound by Petrel's main thread or by the whole machine: on a
// 2-core machine the load generator and the sink share the cores with the relay, and the rate can
// never exceed cores ÷ (CPU per message of all three).
// With --profile, one more Petrel run under `node --cpu-prof` gives the main thread's self time by
// function and by package (sampling inflates syscall-heavy frames: read it as a map, not a budget).
//
// usage: node bench/relay-cpu.mjs [--messages 10000] [--sessions 20] [--runs 3] [--profile]
//          [--direct-messages (default 3 × --messages: the direct path is ~3× faster, so its window
//            is about as long as the relay's, and one stall of the shared machine weighs as much in both)]
//          [--warmup 10000 (unmeasured messages first, both paths)]
//          [--profile-dir DIR (keep the .cpuprofile files there)]
//          [--node-flags "flag=v …" (each given to Petrel's node as --flag=v, every run)]
//          [--out bench/results/relay-cpu.jsonl] [--doc (then gen-scale-doc and gen-performance)]
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { summariseProfile } from './lib/cpu-profile.mjs';
import { machine, ROOT, regeneratePerformancePage, runBench } from './lib/doc.mjs';
import { freePort, run } from './lib/procs.mjs';
import { parseArgs, petrelRelayConfig, smtpSourceArgs, WARM_MESSAGES } from './lib/relay-common.mjs';
import { startCountingSink } from './lib/sink.mjs';
import { startPetrel } from './lib/petrel.mjs';

const args = parseArgs(process.argv.slice(2));
const N = Number(args.messages ?? 10_000);
const DIRECT_N = Number(args['direct-messages'] ?? 3 * N);
const S = Number(args.sessions ?? 20);
const RUNS = Number(args.runs ?? 3);
const OUT = args.out ?? join(ROOT, 'bench/results/relay-cpu.jsonl');
// Unmeasured messages first, through the relay and straight into the sink alike (--warmup).
const WARMUP = Number(args.warmup ?? WARM_MESSAGES);
const BOUND_MS = 300_000;
const TICK_MS = 10; // USER_HZ 100
const NODE_ARGS = (args['node-flags'] ?? '')
  .split(' ')
  .filter(Boolean)
  .map((f) => `--${f}`);

/** user and system ms of a /proc stat file's process or thread. */
function stat(file) {
  const f = readFileSync(file, 'utf8').split(') ')[1].split(' ');
  return { user: Number(f[11]) * TICK_MS, sys: Number(f[12]) * TICK_MS };
}

/** Every thread of `pid`: tid → { user, sys } ms. */
function threads(pid) {
  const out = new Map();
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      out.set(Number(t), stat(`/proc/${pid}/task/${t}/stat`));
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

/** smtp-source under sh's `times`: its own user and system CPU ms (the shell's children line). */
async function sourceLoad(port, messages) {
  const a = smtpSourceArgs({ port, sessions: S, messages });
  const t0 = performance.now();
  const r = await run('sh', ['-c', 'smtp-source "$@"; c=$?; times; exit $c', 'sh', ...a]);
  const secs = (performance.now() - t0) / 1000;
  if (r.code !== 0) throw new Error(`smtp-source exited ${r.code}: ${r.out.slice(-400)}`);
  const lines = r.out.trim().split('\n');
  const ms = (t) => {
    const m = /^(\d+)m([\d.]+)s$/.exec(t);
    return m ? (Number(m[1]) * 60 + Number(m[2])) * 1000 : Number.NaN;
  };
  const [user, sys] = lines[lines.length - 1].trim().split(/\s+/).map(ms);
  return { secs, user, sys };
}

const perMsg = (ms, n) => Math.round((ms * 1000) / n);

/** smtp-source's `messages` into `port`, then every one of them at `sink` (bounded); smtp-source's CPU. */
async function loadAll(port, sink, messages, what) {
  const before = sink.count();
  const src = await sourceLoad(port, messages);
  if (!(await sink.waitFor(before + messages, BOUND_MS)))
    throw new Error(`${what}: ${sink.count() - before} of ${messages} at the sink`);
  return src;
}

/** One direct run: smtp-source → smtp-sink. */
async function direct() {
  const port = await freePort();
  const sink = await startCountingSink('127.0.0.1', port);
  try {
    await loadAll(port, sink, WARMUP, 'direct warm-up');
    const s0 = stat(`/proc/${sink.pid}/stat`);
    const t0 = performance.now();
    const src = await loadAll(port, sink, DIRECT_N, 'direct');
    const wall = performance.now() - t0;
    const s1 = stat(`/proc/${sink.pid}/stat`);
    return {
      rate: Math.round(DIRECT_N / (wall / 1000)),
      messages: DIRECT_N,
      us: {
        source: perMsg(src.user + src.sys, DIRECT_N),
        sink: perMsg(s1.user + s1.sys - s0.user - s0.sys, DIRECT_N),
      },
      wallMs: Math.round(wall),
    };
  } finally {
    await sink.stop();
  }
}

/**
 * Petrel's CPU between two snapshots of its threads, ms: the main thread (its tid is the pid), the
 * spool's writer (the busiest other thread) and the rest (V8's platform workers, libuv's pool) summed.
 */
function split(pid, before, after) {
  const deltas = [...after].map(([tid, b]) => {
    const a = before.get(tid) ?? { user: 0, sys: 0 };
    return { tid, user: b.user - a.user, sys: b.sys - a.sys };
  });
  const main = deltas.find((d) => d.tid === pid);
  const others = deltas.filter((d) => d.tid !== pid).sort((a, b) => b.user + b.sys - a.user - a.sys);
  const writer = others[0] ?? { user: 0, sys: 0 };
  const helpers = others.slice(1).reduce((s, d) => s + d.user + d.sys, 0);
  return { main, writer, helpers };
}

/** One relay run: warm up, then N messages; CPU per message of every process and of Petrel's threads. */
async function relay(extraNodeArgs = []) {
  const nodeArgs = [...NODE_ARGS, ...extraNodeArgs];
  const dir = mkdtempSync(join(tmpdir(), 'petrel-relay-cpu-'));
  const sinkPort = await freePort();
  const listenPort = await freePort();
  const sink = await startCountingSink('127.0.0.1', sinkPort);
  let petrel;
  try {
    petrel = await startPetrel(dir, petrelRelayConfig(listenPort, sinkPort, S), listenPort, { nodeArgs });
    // The warm-up is measured too (from the first message after start): what a cold process costs.
    const thStart = threads(petrel.pid);
    const tStart = performance.now();
    await loadAll(listenPort, sink, WARMUP, 'relay warm-up');
    const warmWall = performance.now() - tStart;
    const th0 = threads(petrel.pid);
    const s0 = stat(`/proc/${sink.pid}/stat`);
    const t0 = performance.now();
    const src = await loadAll(listenPort, sink, N, 'relay');
    const wall = performance.now() - t0;
    const th1 = threads(petrel.pid);
    const s1 = stat(`/proc/${sink.pid}/stat`);
    const { main, writer, helpers } = split(petrel.pid, th0, th1);
    const cold = WARMUP > 0 ? split(petrel.pid, thStart, th0) : undefined;
    return {
      ...(cold
        ? {
            cold: {
              messages: WARMUP,
              rate: Math.round(WARMUP / (warmWall / 1000)),
              petrel: perMsg(
                cold.main.user + cold.main.sys + cold.writer.user + cold.writer.sys + cold.helpers,
                WARMUP,
              ),
              petrelHelpers: perMsg(cold.helpers, WARMUP),
            },
          }
        : {}),
      rate: Math.round(N / (wall / 1000)),
      us: {
        source: perMsg(src.user + src.sys, N),
        sink: perMsg(s1.user + s1.sys - s0.user - s0.sys, N),
        petrelMainUser: perMsg(main.user, N),
        petrelMainSys: perMsg(main.sys, N),
        petrelWriter: perMsg(writer.user + writer.sys, N),
        petrelHelpers: perMsg(helpers, N),
      },
      mainBusy: Math.round(((main.user + main.sys) / wall) * 100) / 100,
      wallMs: Math.round(wall),
    };
  } finally {
    await petrel?.stop();
    await sink.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The main thread's profile under --cpu-prof: top functions and the share per package. */
async function profile() {
  const keep = args['profile-dir'];
  const profDir = keep ?? mkdtempSync(join(tmpdir(), 'petrel-relay-prof-'));
  try {
    const r = await relay(['--cpu-prof', '--cpu-prof-dir', profDir]);
    const s = summariseProfile(profDir, 15);
    return { rate: r.rate, busyMs: s.busyMs, top: s.top, packages: s.packages };
  } finally {
    if (!keep) rmSync(profDir, { recursive: true, force: true });
  }
}

const env = { ...machine(), date: new Date().toISOString(), argv: process.argv.slice(2).join(' '), load: loadavg() };
const records = [];
for (let i = 0; i < RUNS; i++) {
  const d = await direct();
  const r = await relay();
  const rec = { bench: 'relay-cpu', run: i + 1, messages: N, sessions: S, warmup: WARMUP, direct: d, relay: r, env };
  console.log(JSON.stringify(rec));
  records.push(rec);
}
if (args.profile === 'true') {
  const p = await profile();
  const rec = { bench: 'relay-cpu-profile', messages: N, sessions: S, ...p, env };
  console.log(JSON.stringify(rec));
  records.push(rec);
}
for (const r of records) appendFileSync(OUT, `${JSON.stringify({ ...r, env: { ...r.env, loadEnd: loadavg() } })}\n`);
if (args.doc === 'true') {
  runBench([join(ROOT, 'bench/gen-scale-doc.mjs')]);
  regeneratePerformancePage();
}
