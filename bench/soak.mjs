#!/usr/bin/env node
// Issue 9's soak: smtp-source → Petrel → smtp-sink at full speed for --minutes (default 10),
// sampling Petrel's RSS every 5 s. RSS must stay flat: no growth per message. Appends one JSON
// record to bench/results/soak.jsonl (docs/performance.md is made from it).
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { freePort, run, startSmtpSink, waitForPort } from '../test/kit/dist/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const args = Object.fromEntries(
  process.argv.slice(2).flatMap((v, i, all) => (v.startsWith('--') ? [[v.slice(2), all[i + 1]]] : [])),
);
const minutes = Number(args.minutes ?? 10);
const OUT = args.out ?? join(ROOT, 'bench/results/soak.jsonl');
const rssMiB = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

const dir = mkdtempSync(join(tmpdir(), 'bench-soak-'));
const sinkPort = await freePort();
const listenPort = await freePort();
const sink = await startSmtpSink([], { host: '127.0.0.1', port: sinkPort });
writeFileSync(
  join(dir, 'petrel.toml'),
  `hostname = "petrel.bench"\nspool_dir = "spool"\nlog_dir = "log"\nlog_level = "warn"\n[listener]\nlisten = ["127.0.0.1:${listenPort}"]\n[dns]\nservers = ["127.0.0.1:9"]\n[global]\nmax_outbound_connections = 20\ntls = "no"\n[domain."relay.test"]\ngateway = ["127.0.0.1:${sinkPort}"]\n`,
);
const child = spawn(
  process.execPath,
  [join(ROOT, 'packages/petrel/dist/cli.js'), 'start', '--config', join(dir, 'petrel.toml')],
  { stdio: 'ignore' },
);
await waitForPort('127.0.0.1', listenPort);
const t0 = Date.now();
const end = t0 + minutes * 60_000;
const samples = [];
const sampler = setInterval(
  () =>
    samples.push({
      s: Math.round((Date.now() - t0) / 1000),
      rss: Math.round(rssMiB(child.pid)),
      delivered: sink.count(),
    }),
  5000,
);
let sent = 0;
while (Date.now() < end) {
  const r = await run(
    'smtp-source',
    [
      '-s',
      '10',
      '-m',
      '2000',
      '-l',
      '1000',
      '-M',
      'test.local',
      '-f',
      'a@test.local',
      '-t',
      'b@relay.test',
      `127.0.0.1:${listenPort}`,
    ],
    { timeoutMs: 1_800_000 },
  );
  if (r.code !== 0) throw new Error(r.stdout + r.stderr);
  sent += 2000;
}
await sink.waitForCount(sent, 120_000);
clearInterval(sampler);
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
await sink.stop();
rmSync(dir, { recursive: true, force: true });
const afterWarmup = samples.filter((x) => x.s >= 60);
const first = afterWarmup[0] ?? samples[0];
const last = samples[samples.length - 1];
const rec = {
  bench: 'soak',
  minutes,
  sent,
  delivered: sink.count(),
  rate: Math.round(sent / ((Date.now() - t0) / 1000)),
  rss_after_1min: first.rss,
  rss_end: last.rss,
  rss_max: Math.max(...samples.map((x) => x.rss)),
  growth_mib_per_100k_msgs:
    Math.round((100 * 100_000 * (last.rss - first.rss)) / Math.max(1, last.delivered - first.delivered)) / 100,
  samples,
  env: {
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    date: new Date().toISOString(),
  },
};
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
appendFileSync(OUT, `${JSON.stringify(rec)}\n`);
console.log(JSON.stringify({ ...rec, samples: samples.length }));
