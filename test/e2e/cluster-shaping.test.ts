import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import type { ClusterStatus, ShapingState } from '@petrel/core';
import { freePort, startAio, startCountingProxy, startRedis, startSink, waitFor } from '@petrel/testkit';
import { scenario } from '../lib/scenario.js';
import { petrelCli, petrelJson } from '../lib/cli.js';
import { startPetrel, type EventRecord } from '../lib/petrel.js';
import { sendEach } from '../lib/submit.js';
import { arrivalTimes, startNodes, type ClusterNode } from '../lib/cluster.js';

/** The time `node` logged the shaping state `id` as set (waits, bounded). */
async function setAt(node: ClusterNode, id: string): Promise<number> {
  const isSet = (x: EventRecord): boolean => x.type === 'shaping' && x.state_id === id && x.change === 'set';
  const ev = await node.waitForEvents(`${id} in force on ${node.name}`, (e) => e.some(isSet), 5000);
  return Date.parse(String(ev.find(isSet)!.time));
}

/** Waits until `to` put in force the state `from` set; returns the ms between their two records. */
async function reached(from: ClusterNode, to: ClusterNode, id: string): Promise<number> {
  return (await setAt(to, id)) - (await setAt(from, id));
}

test('a throttle set through node1 paces both nodes together, and a clear through node2 lifts it on node1', async (t) => {
  const s = await scenario(t);
  const redis = s.stopAfter(await startRedis());
  const sink = s.stopAfter(await startSink(s.dir, '127.0.0.2', s.mxPort));
  const [n1, n2] = (await startNodes(s, redis, 2)) as [ClusterNode, ClusterNode];
  const set = await petrelCli(n1, ['shaping', 'set', 'throttle', '--domain', 'example.test', '--rate', '2/1s']);
  assert.equal(set.code, 0, set.stderr);
  const id = 'throttle:domain:example.test';
  const ms = await reached(n1, n2, id);
  t.diagnostic(`set on node1, in force on node2 ${ms} ms later (their event records)`);
  assert.ok(ms < 1000, `${ms} ms`);
  const status = await petrelJson<ClusterStatus>(n2, ['cluster', 'status']);
  assert.deepEqual(
    status.shaping.map((x) => [x.id, x.rate]),
    [[id, { count: 2, perMs: 1000 }]],
  );
  // 4 messages through each node: one shared 2/s bucket (2 at once, then one per 500 ms) spreads
  // the 8 over at least 3 s; a bucket per node would deliver them within about 1 s.
  const per = 4;
  await Promise.all([
    sendEach(
      n1.port,
      Array.from({ length: per }, (_, i) => `a${i}@example.test`),
      'n1',
    ),
    sendEach(
      n2.port,
      Array.from({ length: per }, (_, i) => `b${i}@example.test`),
      'n2',
    ),
  ]);
  await waitFor('8 messages at the sink', () => sink.messageIds().length >= 2 * per, 20_000, 50);
  const times = arrivalTimes(sink);
  const span = times[times.length - 1]! - times[0]!;
  t.diagnostic(`8 messages over ${Math.round(span)} ms`);
  assert.ok(span >= 2500, `8 messages within ${Math.round(span)} ms: the nodes did not share the throttle`);

  const clear = await petrelCli(n2, ['shaping', 'clear', id]);
  assert.match(clear.stdout, /cleared throttle:domain:example\.test/, clear.stderr);
  await n1.waitForEvents(
    'the clear on node1',
    (e) => e.some((x) => x.type === 'shaping' && x.state_id === id && x.change === 'cleared'),
    5000,
  );
  assert.deepEqual(await petrelJson<ShapingState[]>(n1, ['shaping']), []);
});

test('a max_connections state set through node2 holds at the MX for both nodes; cleared while node1 is down, node1 does not bring it back', async (t) => {
  const s = await scenario(t);
  const redis = s.stopAfter(await startRedis());
  // aiosmtpd holds RCPT to slow* for 2 s, so connections overlap; the proxy counts them.
  const mxPort = await freePort();
  const mx = s.stopAfter(await startAio(s.dir, '127.0.0.1', mxPort));
  const proxy = s.stopAfter(await startCountingProxy(mxPort, '127.0.0.2'));
  const [n1, n2] = (await startNodes(s, redis, 2, '', proxy.port)) as [ClusterNode, ClusterNode];
  const set = await petrelCli(n2, [
    'shaping',
    'set',
    'max_connections',
    '--domain',
    'example.test',
    '--connections',
    '1',
    '--duration',
    '10m',
  ]);
  assert.equal(set.code, 0, set.stderr);
  const ms = await reached(n2, n1, 'max_connections:domain:example.test');
  t.diagnostic(`set on node2, in force on node1 ${ms} ms later`);
  assert.ok(ms < 1000, `${ms} ms`);
  // One message through each node at once: without a shared limit each node opens its own connection.
  await Promise.all([sendEach(n1.port, ['slow1@example.test'], 'n1'), sendEach(n2.port, ['slow2@example.test'], 'n2')]);
  await waitFor('both messages at the MX', () => mx.messages().length >= 2, 20_000, 50);
  t.diagnostic(`connections at the MX: ${proxy.accepted} in all, at most ${proxy.maxConcurrent} at once`);
  assert.equal(proxy.maxConcurrent, 1, 'one connection at a time across the two nodes');
  assert.equal(proxy.accepted, 2);

  // node1 stops (its spool keeps the state, restored at start); the state is cleared meanwhile.
  const toml = readFileSync(n1.configFile, 'utf8');
  await n1.stop();
  const clear = await petrelCli(n2, ['shaping', 'clear', 'max_connections:domain:example.test']);
  assert.match(clear.stdout, /cleared/, clear.stderr);
  const back = s.stopAfter(await startPetrel(n1.dir, toml, n1.port));
  // It restores its own copy at start, then the cluster's word lifts it: it is not given back.
  await back.waitForEvents(
    'the restored state lifted on the restarted node1',
    (e) =>
      e.some(
        (x) => x.type === 'shaping' && x.change === 'cleared' && x.state_id === 'max_connections:domain:example.test',
      ),
    5000,
  );
  assert.deepEqual(await petrelJson<ShapingState[]>(back, ['shaping']), []);
  assert.deepEqual(await petrelJson<ShapingState[]>(n2, ['shaping']), []);
});

test('two nodes under site_max_connections = 2 never have more than two connections open to the site', async (t) => {
  // shop1.test and shop2.test name the same MX: one MX rollup site.
  const s = await scenario(t, ['mx-host=shop1.test,mx1.example.test,10', 'mx-host=shop2.test,mx1.example.test,10']);
  const redis = s.stopAfter(await startRedis());
  const mxPort = await freePort();
  const mx = s.stopAfter(await startAio(s.dir, '127.0.0.1', mxPort));
  const proxy = s.stopAfter(await startCountingProxy(mxPort, '127.0.0.2'));
  const limit = 2;
  const nodes = await startNodes(s, redis, 2, `[shaping]\nsite_max_connections = ${limit}\n`, proxy.port);
  // Two slow messages per node, one per domain: each node alone would open two connections at once.
  await Promise.all(
    nodes.map((n) => sendEach(n.port, [`slow-${n.name}@shop1.test`, `slow-${n.name}@shop2.test`], n.name)),
  );
  await waitFor('4 messages at the MX', () => mx.messages().length >= 4, 30_000, 50);
  t.diagnostic(`connections at the MX: ${proxy.accepted} in all, at most ${proxy.maxConcurrent} at once`);
  assert.ok(proxy.maxConcurrent <= limit, `${proxy.maxConcurrent} connections at once`);
  assert.equal(proxy.maxConcurrent, limit, 'the limit was never reached: the test proves nothing');
});
