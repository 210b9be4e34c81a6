import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { ClusterStatus } from '@petrel/core';
import { sinkBody, startRedis, startSink, waitFor } from '@petrel/testkit';
import { scenario } from '../lib/scenario.js';
import { petrelJson } from '../lib/cli.js';
import { bodyOf, sendMessages, startNodes, type ClusterNode } from '../lib/cluster.js';
import { metric, scrape } from '../lib/metrics.js';

const PER_NODE = 10;

const batch = (nodes: readonly ClusterNode[], tag: string): string[][] =>
  nodes.map((n) => Array.from({ length: PER_NODE }, (_, i) => `${n.name}-${tag}${i}@outage.test`));

test('killing Redis mid-run loses nothing: nodes deliver under local limits, then share again when it is back', async (t) => {
  const s = await scenario(t);
  const redis = await startRedis();
  s.defer(() => redis.stop());
  const sink = await startSink(s.dir, '127.0.0.2', s.mxPort);
  s.defer(() => sink.stop());
  const nodes = await startNodes(s, redis, 3, '[domain."example.test"]\noutbound_throttle_messages = "12"\n');
  const has = (ids: readonly string[]): boolean => {
    const got = new Set(sink.messageIds());
    return ids.every((id) => got.has(id));
  };

  // Batch A is being delivered when Redis dies (SIGKILL: no goodbye, its data gone).
  const a = batch(nodes, 'a');
  await Promise.all(nodes.map((n, i) => sendMessages(n, a[i]!)));
  await waitFor('the first deliveries', () => sink.messageIds().length >= 3, 30_000, 20);
  await redis.kill();

  // Batch B is sent and delivered while Redis is away: accepted at once, not held back for it.
  const b = batch(nodes, 'b');
  await Promise.all(nodes.map((n, i) => sendMessages(n, b[i]!)));
  await waitFor('batches A and B delivered without Redis', () => has([...a.flat(), ...b.flat()]), 60_000, 100);
  const down = await petrelJson<ClusterStatus>(nodes[2]!, ['cluster', 'status']);
  assert.equal(down.state, 'down');
  assert.ok(down.degradations >= 1);
  for (const n of nodes) {
    const m = await scrape(join(n.dir, 'spool', 'control.sock'));
    assert.equal(metric(m, `petrel_cluster_redis_up{node="${n.name}"}`), 0, n.name);
    assert.ok(metric(m, `petrel_cluster_degradations_total{node="${n.name}"}`) >= 1, n.name);
    assert.match(n.output(), /cluster: redis unreachable/);
  }

  // Redis comes back empty: the nodes re-register, share again, and batch C goes through.
  await redis.restart();
  await waitFor(
    'every node back in the cluster',
    async () => {
      const st = await petrelJson<ClusterStatus>(nodes[0]!, ['cluster', 'status']);
      return st.state === 'up' && st.nodes.length === 3;
    },
    20_000,
    200,
  );
  const c = batch(nodes, 'c');
  await Promise.all(nodes.map((n, i) => sendMessages(n, c[i]!)));
  const all = [...a.flat(), ...b.flat(), ...c.flat()];
  await waitFor(`all ${all.length} messages at the sink`, () => sink.messageIds().length >= all.length, 60_000, 100);
  assert.deepEqual(sink.messageIds().sort(), all.sort(), 'every message arrives exactly once');
  for (const dump of sink.messages()) {
    const id = /^Message-ID: <([^>]+)>/im.exec(dump)![1]!;
    assert.ok(sinkBody(dump).replace(/\r\n/g, '\n').includes(bodyOf(id)), `the body of ${id} arrived as sent`);
  }
  for (const n of nodes) {
    const m = await scrape(join(n.dir, 'spool', 'control.sock'));
    assert.equal(metric(m, `petrel_cluster_redis_up{node="${n.name}"}`), 1, n.name);
    assert.match(n.output(), /cluster: redis reachable/);
  }
});
