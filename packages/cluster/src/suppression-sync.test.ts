import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SuppressionEntry, SuppressionStore } from '@petrel/core';
import type { RedisLink } from './redis-link.js';
import { SuppressionSync, isTombstone, suppressionId } from './suppression-sync.js';
import { MemorySuppressions, startRedis, syncEnv, until, type Redis } from './test-support.js';

interface Node {
  readonly link: RedisLink;
  readonly sync: SuppressionSync;
  /** The node's own copy (the spool's store in the daemon). */
  readonly local: MemorySuppressions;
  /** What the suppression service uses: the local copy, shared. */
  readonly store: SuppressionStore & { close(): void };
}

/** Stops every node and link opened by a test. */
class Nodes {
  readonly all: Node[] = [];
  async stop(): Promise<void> {
    for (const n of this.all.splice(0)) {
      n.store.close();
      n.sync.stop();
      await n.link.stop();
    }
  }
}

async function node(
  redis: { url: string },
  name: string,
  nodes: Nodes,
  local = new MemorySuppressions(),
  reconcileMs = 60_000,
): Promise<Node> {
  const env = await syncEnv(redis, name, reconcileMs);
  const link = env.link;
  const sync = new SuppressionSync(env);
  await sync.start();
  const store = sync.share(local);
  // The first full read done before the test changes anything.
  await sync.settled();
  const n = { link, sync, local, store };
  nodes.all.push(n);
  return n;
}

function entry(address: string, createdAt = Date.now(), scope = 'global'): SuppressionEntry {
  return { address, scope, reason: 'manual', source: 'cli', createdAt };
}

describe('shared suppression list', () => {
  let redis: Redis;
  const nodes = new Nodes();
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await nodes.stop();
    await redis.stop();
  });

  it('an entry added on one node is found in the others’ own stores within a second, and so is its removal', async () => {
    await redis.cli('FLUSHALL');
    const a = await node(redis, 'a', nodes);
    const b = await node(redis, 'b', nodes);
    const c = await node(redis, 'c', nodes);
    const t0 = Date.now();
    await a.store.add([entry('bob@x.test'), entry('@spam.test')]);
    await until(
      'b and c to hold both',
      async () => (await b.local.find('bob@x.test', ['global'])) !== undefined && c.local.rows.size === 2,
      1000,
    );
    assert.ok(Date.now() - t0 < 1000);
    // The lookup is the node's own: the whole domain is suppressed on c without asking Redis.
    assert.equal((await c.store.find('anyone@spam.test', ['global']))?.address, '@spam.test');
    await a.store.remove('bob@x.test');
    await until(
      'b and c to drop it',
      () => !b.local.rows.has('global|bob@x.test') && !c.local.rows.has('global|bob@x.test'),
      1000,
    );
    assert.ok(c.local.rows.has('global|@spam.test'));
    // The removal is remembered as a tombstone, not forgotten.
    assert.match(await redis.cli('HGET', 't:suppressions', 'global|bob@x.test'), /removedAt/);
    await nodes.stop();
  });

  it('a node that was down when an entry was lifted drops its own copy at start instead of giving it back', async () => {
    await redis.cli('FLUSHALL');
    const a = await node(redis, 'a1', nodes);
    const bStore = new MemorySuppressions();
    const b = await node(redis, 'b1', nodes, bStore);
    await a.store.add([entry('gone@x.test', Date.now() - 1000), entry('kept@x.test', Date.now() - 1000)]);
    await until('b to hold both', () => bStore.rows.size === 2);
    // b stops (its spool keeps its copy); the entry is lifted through a meanwhile.
    b.store.close();
    b.sync.stop();
    await b.link.stop();
    nodes.all.splice(nodes.all.indexOf(b), 1);
    await a.store.remove('gone@x.test');
    await a.sync.settled();
    const b2 = await node(redis, 'b1', nodes, bStore);
    await b2.sync.settled();
    assert.deepEqual([...bStore.rows.keys()], ['global|kept@x.test']);
    const shared = JSON.parse(await redis.cli('HGET', 't:suppressions', 'global|gone@x.test'));
    assert.ok(isTombstone(shared), 'the restarted node did not write the lifted entry back');
    await nodes.stop();
  });

  it('entries a node holds that the cluster never saw are written to it, not dropped', async () => {
    await redis.cli('FLUSHALL');
    const a = await node(redis, 'a2', nodes);
    const own = new MemorySuppressions();
    await own.add([entry('before-joining@x.test')]);
    await node(redis, 'c2', nodes, own);
    await until('a to get the joining node’s entry', () => a.local.rows.has('global|before-joining@x.test'));
    assert.ok(own.rows.has('global|before-joining@x.test'));
    await nodes.stop();
  });

  it('an entry re-added after a removal stays (the newer one wins over the tombstone)', async () => {
    await redis.cli('FLUSHALL');
    const a = await node(redis, 'a3', nodes);
    const b = await node(redis, 'b3', nodes);
    await a.store.add([entry('again@x.test', Date.now() - 5000)]);
    await a.store.remove('again@x.test');
    await a.sync.settled();
    await b.store.add([entry('again@x.test', Date.now() + 1)]);
    await until('a to hold the re-added entry', () => a.local.rows.has('global|again@x.test'));
    await a.sync.settled();
    await b.sync.settled();
    const shared = JSON.parse(await redis.cli('HGET', 't:suppressions', suppressionId('again@x.test', 'global')));
    assert.ok(!isTombstone(shared));
    await nodes.stop();
  });

  it('an entry added while Redis is down applies locally at once and reaches the others when it is back', async () => {
    const own = await startRedis();
    const ownNodes = new Nodes();
    try {
      const a = await node(own, 'a4', ownNodes, new MemorySuppressions(), 200);
      const b = await node(own, 'b4', ownNodes, new MemorySuppressions(), 200);
      await own.kill();
      await until('a to notice', async () => !(await a.link.probe()));
      await a.store.add([entry('outage@x.test')]);
      assert.ok(await a.store.find('outage@x.test', ['global']), 'refused on a at once, without Redis');
      await own.restart();
      await until('b to get the entry added during the outage', () => b.local.rows.has('global|outage@x.test'), 8000);
    } finally {
      await ownNodes.stop();
      await own.stop();
    }
  });

  it('a periodic re-read with nothing changed reads no entries', async () => {
    await redis.cli('FLUSHALL');
    const a = await node(redis, 'a5', nodes, new MemorySuppressions(), 100);
    await a.store.add([entry('one@x.test')]);
    await a.sync.settled();
    const rounds = a.sync.rounds;
    await until('a to catch up twice', () => a.sync.rounds >= rounds + 2);
    // The round after the write read the table once; the rounds since found the version unchanged.
    const reads = a.sync.reads;
    const r2 = a.sync.rounds;
    await until('a to catch up twice more', () => a.sync.rounds >= r2 + 2);
    assert.equal(a.sync.reads, reads);
    await nodes.stop();
  });
});
