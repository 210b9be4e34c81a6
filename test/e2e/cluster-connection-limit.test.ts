import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, startAio, startCountingProxy, startRedis, waitFor } from '@petrel/testkit';
import { scenario } from '../lib/scenario.js';
import { sendMessages, startNodes } from '../lib/cluster.js';

const PER_NODE = 5;
const LIMIT = 2;

test('max_outbound_connections = 2 holds across three nodes: the MX never sees more than two connections', async (t) => {
  const s = await scenario(t);
  const redis = await startRedis();
  s.defer(() => redis.stop());
  // The MX (127.0.0.2 in the zone) is a counting proxy in front of aiosmtpd, which answers RCPT to a
  // slow* recipient after 2 s, so that connections overlap.
  const mxPort = await freePort();
  const mx = await startAio(s.dir, '127.0.0.1', mxPort);
  s.defer(() => mx.stop());
  const proxy = await startCountingProxy(mxPort, '127.0.0.2');
  s.defer(() => proxy.stop());
  const nodes = await startNodes(
    s,
    redis,
    3,
    `[domain."example.test"]\nmax_outbound_connections = ${LIMIT}\n`,
    proxy.port,
  );
  const ids = nodes.map((n) => Array.from({ length: PER_NODE }, (_, i) => `${n.name}-${i}@limit.test`));
  await Promise.all(nodes.map((n, i) => sendMessages(n, ids[i]!, 'slow@example.test')));
  const received = (): string[] =>
    mx.messages().flatMap((m) => /^Message-ID: <([^>]+)>/im.exec(m.toString('utf8'))?.slice(1) ?? []);
  const total = PER_NODE * nodes.length;
  await waitFor(`${total} messages at the MX`, () => received().length >= total, 60_000, 100);
  assert.deepEqual(received().sort(), ids.flat().sort(), 'every message arrives exactly once');
  t.diagnostic(`connections at the MX: ${proxy.accepted} in all, at most ${proxy.maxConcurrent} at once`);
  // One limit per node would allow 3 × 2 = 6 at once (each node opens at least one for its mail).
  assert.ok(proxy.maxConcurrent <= LIMIT, `${proxy.maxConcurrent} connections at once`);
  assert.equal(proxy.maxConcurrent, LIMIT, 'the limit was never reached: the test proves nothing');
});
