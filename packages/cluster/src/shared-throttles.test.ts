import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SystemClock } from '@petrel/core';
import type { RedisLink } from './redis-link.js';
import { SharedBucket, localShare } from './shared-throttles.js';
import { keys, openLink, startRedis, until, type Redis } from './test-support.js';

const clock = new SystemClock();

/** Takes from `bucket` until `ms` pass, waiting as it says; returns the tokens taken. */
async function drain(bucket: SharedBucket, ms: number): Promise<number> {
  const end = Date.now() + ms;
  let taken = 0;
  for (let i = 0; i < 100_000 && Date.now() < end; i++) {
    if (bucket.tryTake()) taken++;
    else await new Promise((r) => setTimeout(r, Math.min(50, Math.max(1, bucket.waitMs()))));
  }
  return taken;
}

describe('shared throttles', () => {
  let redis: Redis;
  const links: RedisLink[] = [];
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    for (const l of links) await l.stop();
    await redis.stop();
  });

  it('two nodes draw on one bucket: together they take exactly its capacity', async () => {
    const a = await openLink(redis, 'a', { commandTimeoutMs: 2000 });
    const b = await openLink(redis, 'b', { commandTimeoutMs: 2000 });
    await until('both nodes to reach Redis', () => a.up && b.up);
    links.push(a, b);
    // 5 per hour: the capacity is 5 and nothing refills during the test.
    const rate = { count: 5, perMs: 3_600_000 };
    const env = (link: RedisLink) => ({ link, keys, clock, liveNodes: () => 2 });
    const ba = new SharedBucket('msgs|d1', rate, env(a));
    const bb = new SharedBucket('msgs|d1', rate, env(b));
    const [ta, tb] = await Promise.all([drain(ba, 600), drain(bb, 600)]);
    assert.equal(ta + tb, 5, `a took ${ta}, b took ${tb}`);
    // A refused bucket tells the wait Redis computed (about 12 minutes for the next token).
    assert.ok(ba.waitMs() > 60_000, `wait ${ba.waitMs()}`);
  });

  it('the combined rate of three nodes stays within the shared rate', async () => {
    const nodes = await Promise.all(['x', 'y', 'z'].map((n) => openLink(redis, n, { commandTimeoutMs: 2000 })));
    links.push(...nodes);
    await until('every node to reach Redis', () => nodes.every((l) => l.up));
    const before = nodes.map((l) => l.degradations);
    const rate = { count: 20, perMs: 1000 };
    const buckets = nodes.map((link) => new SharedBucket('msgs|d2', rate, { link, keys, clock, liveNodes: () => 3 }));
    const ms = 1500;
    const taken = await Promise.all(buckets.map((b) => drain(b, ms)));
    const total = taken.reduce((x, y) => x + y, 0);
    // Had a node lost Redis it would have added its local share: this run must be all shared.
    assert.deepEqual(
      nodes.map((l) => l.degradations),
      before,
    );
    // Capacity 20 plus 20/s over the run; a local bucket per node would give about three times that.
    assert.ok(total <= 20 + (20 * ms) / 1000 + 2, `took ${total} (${taken.join(', ')})`);
    assert.ok(total >= 30, `took only ${total}`);
  });

  it('without Redis each node takes rate / N from a local bucket, and the outage is counted', async () => {
    const own = await startRedis();
    const link = await openLink(own, 'solo', { commandTimeoutMs: 1000 });
    links.push(link);
    await own.kill();
    await until('the link to notice Redis is gone', () => !link.up);
    assert.equal(link.degradations, 1);
    const bucket = new SharedBucket(
      'msgs|d3',
      { count: 12, perMs: 3_600_000 },
      { link, keys, clock, liveNodes: () => 3 },
    );
    assert.equal(await drain(bucket, 200), 4);
  });

  it('asked first and taken after (the shaping gate), a bucket never lets more through than Redis granted', async () => {
    const link = await openLink(redis, 'gate', { commandTimeoutMs: 2000 });
    links.push(link);
    await until('the node to reach Redis', () => link.up);
    const bucket = new SharedBucket(
      'msgs|d4',
      { count: 3, perMs: 3_600_000 },
      { link, keys, clock, liveNodes: () => 1 },
    );
    let passed = 0;
    const end = Date.now() + 500;
    for (let i = 0; i < 100_000 && Date.now() < end; i++) {
      const wait = bucket.waitMs();
      if (wait === 0) {
        // The gate's consume: a job already went, whatever the take says.
        passed++;
        bucket.tryTake();
      } else await new Promise((r) => setTimeout(r, Math.min(50, wait)));
    }
    assert.equal(passed, 3);
  });

  it('localShare keeps the per-node rate at rate / N with a capacity of at least one token', () => {
    assert.deepEqual(localShare({ count: 30, perMs: 1000 }, 3), { count: 10, perMs: 1000 });
    const r = localShare({ count: 1, perMs: 1000 }, 4);
    assert.equal(r.count, 1);
    assert.equal(r.count / r.perMs, 1 / 4000);
  });
});
