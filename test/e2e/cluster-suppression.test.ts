import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { ClusterStatus } from '@petrel/core';
import { startAio, startRedis, waitFor } from '@petrel/testkit';
import { scenario } from '../lib/scenario.js';
import { petrelCli, petrelJson } from '../lib/cli.js';
import { startPetrel } from '../lib/petrel.js';
import { sendEach, swaksVia } from '../lib/submit.js';
import { startNodes, type ClusterNode } from '../lib/cluster.js';

/** What the node answers at RCPT for `address` (swaks stops there): "refused", "accepted" or the transcript. */
async function rcpt(node: { readonly port: number }, address: string): Promise<string> {
  const r = await swaksVia(node.port, 'news@sender.test', address, ['--quit-after', 'RCPT']);
  if (/<\*\* 550 5\.7\.1 <[^>]+>: recipient suppressed/.test(r.out)) return 'refused';
  if (/-> RCPT TO:[^\n]*\n<- {2}250 /.test(r.out)) return 'accepted';
  return r.out;
}

/** Waits (bounded) until `node` refuses `address` at RCPT; returns the ms it took. */
async function refusedOn(node: { readonly port: number }, address: string, ms = 5000): Promise<number> {
  const t0 = Date.now();
  await waitFor(`:${node.port} to refuse ${address}`, async () => (await rcpt(node, address)) === 'refused', ms, 50);
  return Date.now() - t0;
}

test('the suppression list is one list: added on node1 (petrel suppression add, a hard bounce), node2 refuses at RCPT; lifted while node2 is down, it stays lifted; added during a Redis outage, it reaches node2 when Redis is back', async (t) => {
  const s = await scenario(t);
  const redis = s.stopAfter(await startRedis());
  // aiosmtpd answers RCPT to hard* with 550 5.1.1 (class 10: suppressed on a hard failure).
  s.stopAfter(await startAio(s.dir, '127.0.0.2', s.mxPort));
  const [n1, n2] = (await startNodes(s, redis, 2)) as [ClusterNode, ClusterNode];
  assert.equal(await rcpt(n2, 'manual@example.test'), 'accepted', 'not suppressed to begin with');

  const add = await petrelCli(n1, ['suppression', 'add', 'manual@example.test', '--source', 'cluster test']);
  assert.equal(add.code, 0, add.stderr);
  const manualMs = await refusedOn(n2, 'manual@example.test');
  t.diagnostic(`petrel suppression add on node1: refused on node2 after ${manualMs} ms (swaks runs included)`);

  await sendEach(n1.port, ['hard1@example.test'], 'bounce');
  await n1.waitForEvents('the hard bounce on node1', (e) =>
    e.some((x) => x.type === 'permanent_failure' && x.recipient === 'hard1@example.test'),
  );
  const bounceMs = await refusedOn(n2, 'hard1@example.test');
  t.diagnostic(`hard bounce on node1: refused on node2 ${bounceMs} ms after node1 logged the failure`);
  const onN2 = await petrelJson<{ address: string; reason: string }[]>(n2, ['suppression', 'list']);
  assert.deepEqual(onN2.map((e) => [e.address, e.reason]).sort(), [
    ['hard1@example.test', 'hard_bounce'],
    ['manual@example.test', 'manual'],
  ]);

  assert.equal((await petrelJson<ClusterStatus>(n2, ['cluster', 'status'])).suppressions, 2);

  // node2 stops (its spool keeps its copy of the list); the manual entry is lifted meanwhile.
  const toml = readFileSync(n2.configFile, 'utf8');
  await n2.stop();
  const rm = await petrelCli(n1, ['suppression', 'remove', 'manual@example.test']);
  assert.equal(rm.code, 0, rm.stderr);
  const back = s.stopAfter(await startPetrel(n2.dir, toml, n2.port));
  // Its first read of the shared list (at start) drops the lifted entry from its own copy.
  await waitFor(
    'the restarted node2 to accept manual@ again',
    async () => (await rcpt(back, 'manual@example.test')) === 'accepted',
    5000,
    100,
  );
  assert.equal(await rcpt(back, 'hard1@example.test'), 'refused', 'what was not lifted stays');
  // And it did not give the lifted entry back to the cluster.
  const onN1 = await petrelJson<{ address: string }[]>(n1, ['suppression', 'list']);
  assert.deepEqual(
    onN1.map((e) => e.address),
    ['hard1@example.test'],
  );
  assert.equal(await rcpt(n1, 'manual@example.test'), 'accepted');

  // Redis goes away: an entry added on node1 is refused there at once (its own list, no Redis call),
  // and node2 refuses it too once Redis is back (empty: the nodes write their lists back).
  await redis.kill();
  const during = await petrelCli(n1, ['suppression', 'add', 'outage@example.test']);
  assert.equal(during.code, 0, during.stderr);
  assert.equal(await rcpt(n1, 'outage@example.test'), 'refused', 'in force on node1 without Redis');
  assert.equal(await rcpt(back, 'outage@example.test'), 'accepted', 'node2 has not heard of it yet');
  await redis.restart();
  const outageMs = await refusedOn(back, 'outage@example.test', 10_000);
  t.diagnostic(`added during the outage: refused on node2 ${outageMs} ms after Redis restarted`);
  assert.equal(await rcpt(back, 'hard1@example.test'), 'refused', 'the emptied Redis did not lift entries');
  assert.match(await redis.cli('HGET', 'petrel:suppressions', 'global|hard1@example.test'), /hard_bounce/);
});
