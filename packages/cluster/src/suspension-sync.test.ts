import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { QueueSelector, Suspension, SuspensionApply } from '@petrel/core';
import type { RedisLink } from './redis-link.js';
import { SuspensionSync, selectorField } from './suspension-sync.js';
import { syncEnv, startRedis, until, type Redis } from './test-support.js';

/** What a node's queue saw: the suspensions in force, keyed like the hash. */
class Recorder implements SuspensionApply {
  readonly inForce = new Map<string, Suspension>();
  reconciles = 0;
  suspend(s: Suspension): void {
    this.inForce.set(`${s.binding ?? '*'}|${s.domain ?? '*'}`, s);
  }
  resume(sel: QueueSelector): void {
    this.inForce.delete(`${sel.binding ?? '*'}|${sel.domain ?? '*'}`);
  }
  reconcile(all: readonly Suspension[]): void {
    this.reconciles++;
    this.inForce.clear();
    for (const s of all) this.suspend(s);
  }
  current(): readonly Suspension[] {
    return [...this.inForce.values()];
  }
}

async function node(
  redis: { url: string },
  name: string,
  links: RedisLink[],
  syncs: SuspensionSync[],
  reconcileMs = 60_000,
) {
  const env = await syncEnv(redis, name, reconcileMs);
  const link = env.link;
  const sync = new SuspensionSync(env);
  const seen = new Recorder();
  sync.attach(seen);
  await sync.start();
  // The first catch-up (read of the shared table) must be done before a test changes anything: a
  // catch-up still queued would flush the change and then reconcile this node to a table holding it.
  await sync.settled();
  links.push(link);
  syncs.push(sync);
  return { link, sync, seen };
}

describe('shared suspensions', () => {
  let redis: Redis;
  const links: RedisLink[] = [];
  const syncs: SuspensionSync[] = [];
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    for (const s of syncs) s.stop();
    for (const l of links) await l.stop();
    await redis.stop();
  });

  it('a suspension set on one node reaches the others within a second, and so does its resume', async () => {
    const a = await node(redis, 'a', links, syncs);
    const b = await node(redis, 'b', links, syncs);
    const c = await node(redis, 'c', links, syncs);
    const s: Suspension = { domain: 'x.test', reason: 'provider asked', since: Date.now() };
    const t0 = Date.now();
    a.sync.suspended(s);
    await until('b and c to see it', () => b.seen.inForce.has('*|x.test') && c.seen.inForce.has('*|x.test'), 1000);
    assert.ok(Date.now() - t0 < 1000);
    assert.deepEqual(b.seen.inForce.get('*|x.test'), s);
    assert.equal(a.seen.inForce.size, 0, 'a node is not told its own change');
    a.sync.resumed({ domain: 'x.test' });
    await until(
      'b and c to see the resume',
      () => !b.seen.inForce.has('*|x.test') && !c.seen.inForce.has('*|x.test'),
      1000,
    );
    assert.equal(await redis.cli('HLEN', 't:suspensions'), '0');
  });

  it('a node that starts later gets the shared set at once', async () => {
    const a = await node(redis, 'early', links, syncs);
    a.sync.suspended({ binding: 'b1', since: Date.now() });
    await a.sync.settled();
    const late = await node(redis, 'late', links, syncs);
    await until('the late node to read the set', () => late.seen.inForce.has('b1|*'));
    a.sync.resumed({ binding: 'b1' });
    await a.sync.settled();
  });

  it('a change made while Redis is down is written when it is back, and the others reconcile to it', async () => {
    const own = await startRedis();
    const ownLinks: RedisLink[] = [];
    const ownSyncs: SuspensionSync[] = [];
    try {
      const a = await node(own, 'a2', ownLinks, ownSyncs, 200);
      const b = await node(own, 'b2', ownLinks, ownSyncs, 200);
      await own.kill();
      await until('a to notice', async () => !(await a.link.probe()));
      a.sync.suspended({ domain: 'y.test', since: Date.now() });
      await own.restart();
      await until('b to reconcile the change made during the outage', () => b.seen.inForce.has('*|y.test'), 8000);
      assert.match(await own.cli('HGET', 't:suspensions', '*|y.test'), /y\.test/);
    } finally {
      for (const s of ownSyncs) s.stop();
      for (const l of ownLinks) await l.stop();
      await own.stop();
    }
  });

  it('a Redis restarted empty gets the suspensions back from the nodes instead of lifting them', async () => {
    const own = await startRedis();
    const ownLinks: RedisLink[] = [];
    const ownSyncs: SuspensionSync[] = [];
    try {
      const a = await node(own, 'a3', ownLinks, ownSyncs, 200);
      const b = await node(own, 'b3', ownLinks, ownSyncs, 200);
      const kept: Suspension = { domain: 'kept.test', reason: 'still blocked', since: Date.now() };
      // As the queue does, the node that sets it holds it too: every node can give it back (had only
      // b held it, a's empty write-back could win the race to mark the emptied Redis restored).
      a.seen.suspend(kept);
      a.sync.suspended(kept);
      await until('b to hold it', () => b.seen.inForce.has('*|kept.test'));
      await own.restart();
      await until(
        'the suspension back in Redis',
        async () => /kept\.test/.test(await own.cli('HGET', 't:suspensions', '*|kept.test')),
        8000,
      );
      // Several reconcile rounds later both nodes still hold it.
      const rounds = b.sync.rounds;
      await until('b to catch up twice more', () => b.sync.rounds >= rounds + 2, 8000);
      assert.ok(b.seen.inForce.has('*|kept.test'));
      assert.ok(a.seen.inForce.has('*|kept.test') || (await a.sync.list()).some((s) => s.domain === 'kept.test'));
    } finally {
      for (const s of ownSyncs) s.stop();
      for (const l of ownLinks) await l.stop();
      await own.stop();
    }
  });

  it('an ended timed suspension is dropped from the shared set', async () => {
    const a = await node(redis, 'timed', links, syncs);
    a.sync.suspended({ domain: 'z.test', since: Date.now() - 2000, until: Date.now() - 1000 });
    await a.sync.settled();
    assert.deepEqual(await a.sync.list(), []);
    assert.equal(await redis.cli('HEXISTS', 't:suspensions', '*|z.test'), '0');
  });
});

describe('suspension selectors as table ids', () => {
  it('round-trip binding, domain, both and neither', async () => {
    const { selectorOf } = await import('./suspension-sync.js');
    for (const sel of [{ binding: 'b1' }, { domain: 'x.test' }, { binding: 'b|1', domain: 'x.test' }, {}])
      assert.deepEqual(selectorOf(selectorField(sel.binding, sel.domain)), sel);
  });
});
