import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SystemClock, silentLogger, type ConnectionLease } from '@petrel/core';
import { LeaseGate } from './connection-leases.js';
import type { RedisLink } from './redis-link.js';
import { keys, openLink, startRedis, until, type Redis } from './test-support.js';

const never = new Promise<void>(() => undefined);

function gate(link: RedisLink, node: string, leaseTtlMs = 30_000, liveNodes = 2): LeaseGate {
  const g = new LeaseGate({
    link,
    keys,
    clock: new SystemClock(),
    logger: silentLogger(),
    node,
    leaseTtlMs,
    liveNodes: () => liveNodes,
  });
  g.start();
  return g;
}

describe('connection leases', () => {
  let redis: Redis;
  const links: RedisLink[] = [];
  const gates: LeaseGate[] = [];
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    for (const g of gates) g.stop();
    for (const l of links) await l.stop();
    await redis.stop();
  });

  it('a limit of 2 across two nodes: the third connection waits until one closes', async () => {
    const [a, b] = [await openLink(redis, 'a'), await openLink(redis, 'b')];
    links.push(a, b);
    const [ga, gb] = [gate(a, 'a'), gate(b, 'b')];
    gates.push(ga, gb);
    const l1 = (await ga.acquire('conn:k1', 2, never))!;
    const l2 = (await gb.acquire('conn:k1', 2, never))!;
    assert.ok(l1 && l2);
    const got: ConnectionLease[] = [];
    const waiting = gb.acquire('conn:k1', 2, never).then((l) => {
      if (l) got.push(l);
    });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(got.length, 0, 'a third lease was granted over the limit');
    assert.equal(await redis.cli('ZCARD', 't:lease:conn:k1'), '2');
    l1.release();
    await waiting;
    assert.equal(got.length, 1);
    got[0]!.release();
    l2.release();
    await until('the leases to leave Redis', async () => (await redis.cli('ZCARD', 't:lease:conn:k1')) === '0');
  });

  it("a dead node's leases stop counting after lease_ttl", async () => {
    const [a, b] = [await openLink(redis, 'dead'), await openLink(redis, 'alive')];
    links.push(b);
    const ga = gate(a, 'dead', 400);
    const gb = gate(b, 'alive', 400);
    gates.push(gb);
    assert.ok(await ga.acquire('conn:k2', 1, never));
    // The node dies: no release, no renewal.
    ga.stop();
    await a.stop();
    const t0 = Date.now();
    const lease = await gb.acquire('conn:k2', 1, never);
    const waited = Date.now() - t0;
    assert.ok(lease);
    assert.ok(waited >= 250 && waited < 3000, `waited ${waited} ms`);
    lease.release();
  });

  it('leases are renewed while held: an open connection keeps its place past lease_ttl', async () => {
    const [a, b] = [await openLink(redis, 'holder'), await openLink(redis, 'other')];
    links.push(a, b);
    const ga = gate(a, 'holder', 300);
    const gb = gate(b, 'other', 300);
    gates.push(ga, gb);
    const held = await ga.acquire('conn:k3', 1, never);
    assert.ok(held);
    const stop = new Promise<void>((r) => setTimeout(r, 900));
    assert.equal(await gb.acquire('conn:k3', 1, stop), undefined, 'the other node got the lease of an open connection');
    held.release();
  });

  it('without Redis a node admits its share floor(limit / N), and registers those leases when Redis is back', async () => {
    const own = await startRedis();
    const link = await openLink(own, 'cut', { commandTimeoutMs: 1000 });
    links.push(link);
    const g = gate(link, 'cut', 30_000, 2);
    gates.push(g);
    await own.kill();
    await until('the link to go down', () => !link.up);
    const leases = [await g.acquire('conn:k4', 5, never), await g.acquire('conn:k4', 5, never)];
    assert.ok(leases.every((l) => l !== undefined));
    const stop = new Promise<void>((r) => setTimeout(r, 300));
    assert.equal(await g.acquire('conn:k4', 5, stop), undefined, 'more than floor(5 / 2) while degraded');
    await own.restart();
    await until('the leases to be registered', async () => (await own.cli('ZCARD', 't:lease:conn:k4')) === '2', 8000);
    for (const l of leases) l!.release();
    await own.stop();
  });
});
