import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { QueueCount, Suspension } from '@petrel/core';
import { startRedis, startSink, waitFor } from '@petrel/testkit';
import { scenario } from '../lib/scenario.js';
import { petrelCli, petrelJson } from '../lib/cli.js';
import { arrivalTimes, sendMessages, startNodes } from '../lib/cluster.js';

const PER_NODE = 15;

test('a suspension set through one node stops delivery on all three within a second; a resume through another restarts all', async (t) => {
  const s = await scenario(t);
  const redis = await startRedis();
  s.defer(() => redis.stop());
  const sink = await startSink(s.dir, '127.0.0.2', s.mxPort);
  s.defer(() => sink.stop());
  // A shared 3/s keeps every node busy for many seconds (45 messages: about 14 s), so each still has
  // mail queued when the suspension comes, even if the CLI takes seconds to start on a loaded machine.
  const nodes = await startNodes(s, redis, 3, '[domain."example.test"]\noutbound_throttle_messages = "3"\n');
  const ids = nodes.map((n) => Array.from({ length: PER_NODE }, (_, i) => `${n.name}-${i}@suspend.test`));
  await Promise.all(nodes.map((n, i) => sendMessages(n, ids[i]!)));
  const total = PER_NODE * nodes.length;
  await waitFor('the first deliveries', () => sink.messageIds().length >= 6, 30_000, 20);

  const asked = Date.now();
  const r = await petrelCli(nodes[0]!, ['suspend', '--domain', 'example.test', '--reason', 'cluster test']);
  const acknowledged = Date.now();
  t.diagnostic(`petrel suspend answered after ${acknowledged - asked} ms`);
  assert.equal(r.code, 0, r.stderr);
  // Watch the MX for three seconds: whatever was already in a transaction may finish, nothing starts.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const late = arrivalTimes(sink).filter((at) => at > acknowledged + 1000);
  assert.deepEqual(late, [], `${late.length} message(s) reached the MX more than 1 s after the suspension`);
  const delivered = sink.messageIds().length;
  assert.ok(delivered < total, 'everything was delivered before the suspension: the test proves nothing');
  for (const n of nodes) {
    // Every node holds the suspension and its own remaining mail, counted as suspended.
    const list = await petrelJson<Suspension[]>(n, ['suspend', '--list']);
    assert.deepEqual(
      list.map((x) => [x.domain, x.reason]),
      [['example.test', 'cluster test']],
      n.name,
    );
  }
  const held = await Promise.all(nodes.map((n) => petrelJson<QueueCount[]>(n, ['queue'])));
  const heldPerNode = held.map((rows) => rows.reduce((sum, q) => sum + (q.suspended ? q.active + q.delayed : 0), 0));
  t.diagnostic(`delivered before the suspension: ${delivered}; held per node: ${heldPerNode.join(', ')}`);
  assert.ok(
    heldPerNode.every((h) => h > 0),
    `each node must hold mail under the suspension: ${heldPerNode.join(', ')}`,
  );

  const resume = await petrelCli(nodes[1]!, ['resume', '--domain', 'example.test']);
  assert.equal(resume.code, 0, resume.stderr);
  await waitFor(`all ${total} messages at the sink`, () => sink.messageIds().length >= total, 60_000, 100);
  assert.deepEqual(sink.messageIds().sort(), ids.flat().sort(), 'every message arrives exactly once');
  for (const n of nodes) assert.deepEqual(await petrelJson<Suspension[]>(n, ['suspend', '--list']), [], n.name);
});
