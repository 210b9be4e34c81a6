#!/usr/bin/env node
// Recovery at depth: a spool holding `--messages` (default 10^6) queued messages is replayed at
// start through Spool.recover() → message.spooled → a routing-like job builder → message.routed →
// QueueManager. Reports the replay time, the time to the first job in an active queue (delivery
// starts before the replay ends) and the peak RSS. The spool database is generated directly with
// SQL in one transaction (bench/lib/spool-fill.mjs; small bodies: recovery never reads bodies).
// Prints one JSON line. usage: node bench/spool-recovery.mjs --dir D [--messages 1000000] [--domains 1000]
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Bus, SystemClock, parseConfig, silentLogger } from '../packages/core/dist/index.js';
import { QueueManager } from '../packages/queue/dist/index.js';
import { Spool, SPOOL_DB_FILE } from '../packages/spool/dist/index.js';
import { machine } from './lib/doc.mjs';
import { parseArgs } from './lib/relay-common.mjs';
import { fillNewSpool } from './lib/spool-fill.mjs';

const args = parseArgs(process.argv.slice(2));
const DIR = args.dir;
if (!DIR) throw new Error('--dir is required');
const MESSAGES = Number(args.messages ?? 1_000_000);
const DOMAINS = Number(args.domains ?? 1000);
const spoolDir = join(DIR, 'spool');
const logger = silentLogger();
const config = parseConfig(
  `spool_dir = ${JSON.stringify(spoolDir)}\n[spool]\nmin_free_space = 0\n[global]\nmessage_expiration = "30d"\n`,
  join(DIR, 'petrel.toml'),
);

let genSecs = 0;
if (!existsSync(join(spoolDir, SPOOL_DB_FILE))) {
  mkdirSync(DIR, { recursive: true });
  const t = performance.now();
  // One transaction, small bodies (recovery never reads them).
  await fillNewSpool(spoolDir, {
    count: MESSAGES,
    domains: DOMAINS,
    prefix: 'recovery',
    bodySize: 200,
    perTransaction: MESSAGES,
  });
  genSecs = (performance.now() - t) / 1000;
}

let peakRss = 0;
const sample = () => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
};
const sampler = setInterval(sample, 50);
const bus = new Bus(logger);
const clock = new SystemClock();
const ctx = { config, bus, logger, clock };
const spool = new Spool(ctx);
const queue = new QueueManager(ctx);
// Routing-like job building: one job per (message, domain), default binding (as routing does without rules).
bus.subscribe('message.spooled', ({ envelope, pending, recovered }) => {
  const byDomain = new Map();
  for (const p of pending ?? envelope.recipients.map((_, index) => ({ index, attempts: 0, nextAttemptAt: 0 }))) {
    const r = envelope.recipients[p.index];
    let list = byDomain.get(r.domain);
    if (!list) {
      list = { rcpts: [], attempts: p.attempts, next: p.nextAttemptAt };
      byDomain.set(r.domain, list);
    }
    list.rcpts.push({ ...r, index: p.index });
  }
  const jobs = [];
  for (const [domain, l] of byDomain) {
    jobs.push({
      id: `${envelope.id}/default/${domain}/0`,
      messageId: envelope.id,
      sender: envelope.sender,
      binding: 'default',
      bindingGroup: 'default',
      domain,
      recipients: l.rcpts,
      size: envelope.size,
      receivedAt: envelope.receivedAt,
      attempts: l.attempts,
      nextAttemptAt: l.next,
    });
  }
  bus.publish('message.routed', { envelope, jobs, recovered });
});
let firstActiveMs;
const t0 = performance.now();
bus.subscribe('queue.demand', () => {
  firstActiveMs ??= performance.now() - t0;
});
await spool.start();
await queue.start();
const result = await spool.recover();
const recoverySecs = (performance.now() - t0) / 1000;
sample();
clearInterval(sampler);
const queued = queue.counts().reduce((a, c) => a + c.active + c.delayed, 0);
await queue.stop();
await spool.stop();
console.log(
  JSON.stringify({
    bench: 'spool-recovery',
    ...machine(),
    messages: MESSAGES,
    domains: DOMAINS,
    replayed: result.messages,
    queued,
    genSecs: Math.round(genSecs * 10) / 10,
    recoverySecs: Math.round(recoverySecs * 100) / 100,
    firstActiveMs: Math.round(firstActiveMs ?? -1),
    peakRssMB: Math.round(peakRss / 1e6),
  }),
);
