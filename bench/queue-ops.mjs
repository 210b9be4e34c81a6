#!/usr/bin/env node
// Queue manager operations at depth: insert (message.routed), take (queue.take) and requeue
// (delivery.attempted with a transient outcome) in µs/op with 10^6 jobs queued, over the real Bus.
// Prints one JSON line. usage: node bench/queue-ops.mjs [--jobs 1000000] [--ops 200000] [--domains 1000]
import { cpus } from 'node:os';
import { Bus, ManualClock, parseConfig, silentLogger, SmtpReply } from '../packages/core/dist/index.js';
import { QueueManager } from '../packages/queue/dist/index.js';

const argv = process.argv.slice(2);
const get = (k, d) => {
  const i = argv.indexOf(`--${k}`);
  return i >= 0 ? Number(argv[i + 1]) : d;
};
const JOBS = get('jobs', 1_000_000);
const OPS = get('ops', 200_000);
const DOMAINS = get('domains', 1000);

const config = parseConfig('[global]\nretry_interval = "20m"\n', '/nonexistent/bench.toml');
const bus = new Bus();
const clock = new ManualClock();
const queue = new QueueManager({ config, bus, clock, logger: silentLogger() });
await queue.start();
const t0 = clock.now();
const soft = SmtpReply.parse('451 4.7.1 try later');

let n = 0;
const makeJob = (domain) => {
  const id = `M${++n}`;
  return {
    id: `${id}/default/${domain}/0`,
    messageId: id,
    sender: 's@o.test',
    binding: 'default',
    bindingGroup: 'default',
    domain,
    recipients: [{ index: 0, address: `u@${domain}`, domain }],
    size: 1000,
    receivedAt: t0,
    attempts: 0,
    nextAttemptAt: 0,
  };
};
const envelope = { id: 'x', sender: 's@o.test', recipients: [], receivedAt: t0, size: 1000, protocol: 'esmtp' };
const domains = Array.from({ length: DOMAINS }, (_, i) => `d${i}.test`);

global.gc?.();
const heap0 = process.memoryUsage().heapUsed;
// Fill to depth: 10^6 jobs, one per routed event (as routing publishes them).
let start = process.hrtime.bigint();
for (let i = 0; i < JOBS; i++)
  bus.publish('message.routed', { envelope, jobs: [makeJob(domains[i % DOMAINS])], recovered: false });
const fillNs = Number(process.hrtime.bigint() - start);
await new Promise((r) => setImmediate(r));
global.gc?.();
const heapPerJob = (process.memoryUsage().heapUsed - heap0) / JOBS;

// insert at depth: OPS more jobs on top of 10^6.
start = process.hrtime.bigint();
for (let i = 0; i < OPS; i++)
  bus.publish('message.routed', { envelope, jobs: [makeJob(domains[i % DOMAINS])], recovered: false });
const insertNs = Number(process.hrtime.bigint() - start);
await new Promise((r) => setImmediate(r));

// take at depth: through bus.request (a promise per call, as outbound pays it).
const taken = new Array(OPS);
start = process.hrtime.bigint();
for (let i = 0; i < OPS; i++)
  taken[i] = await bus.request('queue.take', { binding: 'default', domain: domains[i % DOMAINS] });
const takeNs = Number(process.hrtime.bigint() - start);

// requeue: each taken job reported transient → retry decision, delayed heap push, deferred event.
const attempts = taken.map((job) => ({
  job,
  outcomes: [{ index: 0, address: job.recipients[0].address, status: 'transient', reply: soft, stage: 9 }],
  startedAt: t0,
  finishedAt: t0,
}));
start = process.hrtime.bigint();
for (let i = 0; i < OPS; i++) bus.publish('delivery.attempted', attempts[i]);
const requeueNs = Number(process.hrtime.bigint() - start);

start = process.hrtime.bigint();
const counts = queue.counts();
const countsNs = Number(process.hrtime.bigint() - start);
const queued = counts.reduce((a, c) => a + c.active + c.delayed + c.inFlight, 0);
await queue.stop();
const r2 = (x) => Math.round(x * 100) / 100;
console.log(
  JSON.stringify({
    bench: 'queue-ops',
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    jobs: JOBS,
    ops: OPS,
    domains: DOMAINS,
    queuedAtEnd: queued,
    fillUsPerJob: r2(fillNs / JOBS / 1000),
    insertUs: r2(insertNs / OPS / 1000),
    takeUs: r2(takeNs / OPS / 1000),
    requeueUs: r2(requeueNs / OPS / 1000),
    countsMs: r2(countsNs / 1e6),
    heapBytesPerJob: Math.round(heapPerJob),
    rssMB: Math.round(process.memoryUsage().rss / 1e6),
  }),
);
