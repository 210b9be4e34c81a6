#!/usr/bin/env node
// What sharing a limit through Redis costs (docs/scaling.md), against a private redis-server:
//  - takes/s from one node's SharedBucket with a rate that never limits (the ceiling of a shared
//    throttle per node and key), against core's local TokenBucket in the same run (the baseline);
//  - the Lua token-bucket round trip (EVALSHA), p50 and p99 in µs;
//  - connection lease acquire + release pairs per second (two Redis calls each).
// Prints one JSON line per run. usage: node bench/cluster-throttle.mjs [--runs 3] [--seconds 2]
import { SystemClock, TokenBucket, silentLogger } from '../packages/core/dist/index.js';
import { Keys, LeaseGate, RedisLink, SharedBucket, TAKE_TOKENS } from '../packages/cluster/dist/index.js';
import { startRedis } from '../test/kit/dist/index.js';
import { machine } from './lib/doc.mjs';
import { parseArgs } from './lib/relay-common.mjs';

const args = parseArgs(process.argv.slice(2));
const RUNS = Number(args.runs ?? 3);
const SECONDS = Number(args.seconds ?? 2);
const clock = new SystemClock();
const keys = new Keys('bench');
const UNLIMITED = { count: 1e9, perMs: 1000 };

/** Takes as fast as the bucket allows for `ms`, yielding to the event loop when it says wait. */
async function takesPerSecond(bucket, ms) {
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) {
    if (bucket.tryTake()) {
      n++;
      // Let the background grant requests run now and then, as the queue's event loop would.
      if (n % 1000 === 0) await new Promise((r) => setImmediate(r));
    } else await new Promise((r) => setTimeout(r, Math.max(0, Math.min(5, bucket.waitMs()))));
  }
  return Math.round((n * 1000) / ms);
}

const redis = await startRedis();
const link = new RedisLink({
  url: redis.url,
  name: 'bench',
  commandTimeoutMs: 2000,
  connectTimeoutMs: 2000,
  clock,
  logger: silentLogger(),
});
await link.start();
try {
  for (let run = 1; run <= RUNS; run++) {
    // Alternate the order so that neither side always runs on a warmer process.
    const order = run % 2 ? ['local', 'shared'] : ['shared', 'local'];
    const rates = {};
    for (const kind of order) {
      const bucket =
        kind === 'local'
          ? new TokenBucket(UNLIMITED, clock)
          : new SharedBucket(`throttle-${run}`, UNLIMITED, { link, keys, clock, liveNodes: () => 1 });
      rates[kind] = await takesPerSecond(bucket, SECONDS * 1000);
    }
    // Round trips of the token-bucket script itself (a 1-token grant each).
    const samples = [];
    for (let i = 0; i < 2000; i++) {
      const t0 = performance.now();
      await link.run(TAKE_TOKENS, [keys.throttle(`rtt-${run}`)], [1e9, 1e9, 1]);
      samples.push((performance.now() - t0) * 1000);
    }
    samples.sort((a, b) => a - b);
    const gate = new LeaseGate({
      link,
      keys,
      clock,
      logger: silentLogger(),
      node: 'bench',
      leaseTtlMs: 30_000,
      liveNodes: () => 1,
    });
    const never = new Promise(() => undefined);
    const end = performance.now() + SECONDS * 1000;
    let pairs = 0;
    while (performance.now() < end) {
      const lease = await gate.acquire(`conn:bench|${run}`, 1_000_000, never);
      lease.release();
      pairs++;
    }
    gate.stop();
    console.log(
      JSON.stringify({
        run,
        ...machine(),
        localTakesPerSec: rates.local,
        sharedTakesPerSec: rates.shared,
        rttP50us: Math.round(samples[Math.floor(samples.length * 0.5)]),
        rttP99us: Math.round(samples[Math.floor(samples.length * 0.99)]),
        leasePairsPerSec: Math.round(pairs / SECONDS),
        degradations: link.degradations,
      }),
    );
  }
} finally {
  await link.stop();
  await redis.stop();
}
