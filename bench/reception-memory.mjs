#!/usr/bin/env node
// What `queue shape`'s reception counters cost at 10⁷ queued mail received over a day: the queues'
// ReceptionIndex (packages/queue, bounded buckets) against one Map entry per distinct reception
// second per queue (how it was counted before), the same jobs in both. Heap after a full GC, and
// the time of one shape over every queue (what `petrel queue shape` asks the daemon), wall and CPU.
// usage: node --expose-gc bench/reception-memory.mjs [--messages 10000000] [--domains 3000] [--hours 24]
import { appendFileSync, mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { ReceptionIndex } from '../packages/queue/dist/reception-index.js';
import { ROOT, machine } from './lib/doc.mjs';
import { parseArgs } from './lib/relay-common.mjs';

const args = parseArgs(process.argv.slice(2));
const N = Number(args.messages ?? 10_000_000);
const D = Number(args.domains ?? 3000);
const SPAN = Number(args.hours ?? 24) * 3600_000;
const BOUNDS = [5, 10, 20, 40, 80, 160, 320, 640, 1280].map((m) => m * 60_000);

/** One entry per distinct second: the counting this replaced. */
class PerSecond {
  seconds = new Map();
  add(receivedAt, recipients) {
    const s = Math.floor(receivedAt / 1000);
    const n = this.seconds.get(s);
    if (n === undefined) this.seconds.set(s, [1, recipients]);
    else {
      n[0]++;
      n[1] += recipients;
    }
  }
  shape(now, bounds) {
    const byAge = new Array(bounds.length + 1).fill(0);
    for (const [s, n] of this.seconds) {
      let b = 0;
      while (b < bounds.length && now - s * 1000 >= bounds[b]) b++;
      byAge[b] += n[1];
    }
    return byAge;
  }
}

function measure(Make) {
  globalThis.gc();
  const before = process.memoryUsage().heapUsed;
  const t0 = Date.UTC(2026, 11, 1);
  const queues = Array.from({ length: D }, () => new Make());
  for (let i = 0; i < N; i++) queues[i % D].add(t0 + Math.floor((i * SPAN) / N), 1);
  globalThis.gc();
  const heapMiB = Math.round((process.memoryUsage().heapUsed - before) / 1048576);
  const t = performance.now();
  const cpu = process.cpuUsage();
  for (const q of queues) q.shape(t0 + SPAN, BOUNDS);
  const shapeCpuMs = Math.round(process.cpuUsage(cpu).user / 1000);
  const shapeMs = Math.round(performance.now() - t);
  return { heapMiB, shapeMs, shapeCpuMs };
}

const perSecond = args['bounded-only'] ? undefined : measure(PerSecond);
const bounded = measure(ReceptionIndex);
const result = {
  bench: 'reception-memory',
  command: `node --expose-gc bench/reception-memory.mjs ${process.argv.slice(2).join(' ')}`.trim(),
  ...machine(),
  load: loadavg().map((x) => Math.round(x * 100) / 100),
  date: new Date().toISOString().slice(0, 10),
  messages: N,
  domains: D,
  hours: SPAN / 3600_000,
  perSecond,
  bounded,
};
console.log(JSON.stringify(result));
if (perSecond !== undefined) {
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  appendFileSync(join(ROOT, 'bench/results/reception-memory.jsonl'), `${JSON.stringify(result)}\n`);
}
