import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sinkBody, startRedis, startSink, waitFor } from '@petrel/testkit';
import { scenario } from '../lib/scenario.js';
import { petrelJson } from '../lib/cli.js';
import { arrivalTimes, bodyOf, maxInWindow, sendMessages, startNodes } from '../lib/cluster.js';
import type { ClusterStatus } from '@petrel/core';

const PER_NODE = 15;
const RATE = 5;

test('three nodes share outbound_throttle_messages = "5" through Redis: the rate at the MX stays within it', async (t) => {
  const s = await scenario(t);
  const redis = await startRedis();
  s.defer(() => redis.stop());
  const sink = await startSink(s.dir, '127.0.0.2', s.mxPort);
  s.defer(() => sink.stop());
  const nodes = await startNodes(s, redis, 3, `[domain."example.test"]\noutbound_throttle_messages = "${RATE}"\n`);
  const ids = nodes.map((n) => Array.from({ length: PER_NODE }, (_, i) => `${n.name}-${i}@cluster.test`));
  await Promise.all(nodes.map((n, i) => sendMessages(n, ids[i]!)));
  const total = PER_NODE * nodes.length;

  // While mail is flowing, any node shows the whole cluster: three live nodes and the shared bucket.
  const status = await petrelJson<ClusterStatus>(nodes[1]!, ['cluster', 'status']);
  assert.equal(status.state, 'up');
  assert.deepEqual(
    status.nodes.map((n) => n.node),
    ['node1', 'node2', 'node3'],
  );
  assert.ok(
    status.throttles.some((x) => x.key.startsWith('outbound_throttle_messages|') && x.key.includes('example.test')),
    JSON.stringify(status.throttles),
  );

  await waitFor(`${total} messages at the sink`, () => sink.messageIds().length >= total, 60_000, 100);
  const got = sink.messageIds().sort();
  assert.deepEqual(got, ids.flat().sort(), 'every message arrives exactly once');
  for (const dump of sink.messages()) {
    const id = /^Message-ID: <([^>]+)>/im.exec(dump)![1]!;
    assert.ok(sinkBody(dump).replace(/\r\n/g, '\n').includes(bodyOf(id)), `the body of ${id} arrived as sent`);
  }
  // Every node delivered: the sink saw each node's source address.
  for (const n of nodes)
    assert.ok(
      sink.messages().some((d) => d.includes(`X-Client-Addr: ${n.bindAddress}`)),
      `nothing came from ${n.name}`,
    );

  // The rate measured at the MX. A bucket of 5 refilled at 5/s allows at most 5 + 5 in any second
  // (plus one for the jitter between a token and its message's arrival); one bucket per node
  // would let through three times that, and spread 45 messages over about 2 s instead of 8.
  const times = arrivalTimes(sink);
  const span = times[times.length - 1]! - times[0]!;
  const perSecond = maxInWindow(times, 1000);
  const perThree = maxInWindow(times, 3000);
  t.diagnostic(`${total} messages over ${span} ms at the MX; most in 1 s: ${perSecond}, in 3 s: ${perThree}`);
  assert.ok(perSecond <= 2 * RATE + 1, `${perSecond} messages within one second`);
  assert.ok(perThree <= RATE + 3 * RATE + 1, `${perThree} messages within three seconds`);
  assert.ok(span >= ((total - RATE) / RATE) * 1000 - 1000, `${total} messages in only ${span} ms`);
});
