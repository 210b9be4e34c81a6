/**
 * The pool's hand-off of new work to its connections, with a scripted host and a ManualClock: no
 * sockets, every interleaving forced. A demand that lands while a connection is leaving (its idle
 * timer fired, QUIT in flight, or it just found the queue empty) must still get a connection.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '@petrel/core';
import type { ConnectionEnd, IdleWake } from './connection.js';
import { Pool, type PoolHost } from './pool.js';

/** One connection the fake host started: the test decides when it idles and how it ends. */
interface FakeConn {
  readonly idleWait: (ms: number) => Promise<IdleWake>;
  end(how: ConnectionEnd): void;
}

function scriptedHost(): { host: PoolHost; clock: ManualClock; conns: FakeConn[]; slots: () => number } {
  const clock = new ManualClock();
  const conns: FakeConn[] = [];
  let slots = 0;
  const host: PoolHost = {
    clock,
    acquireSlot: () => {
      slots++;
      return true;
    },
    releaseSlot: () => void slots--,
    startConnection(_pool, idleWait) {
      return new Promise<ConnectionEnd>((resolve) => conns.push({ idleWait, end: resolve }));
    },
    slotFreed: () => undefined,
    starved: () => undefined,
    satisfied: () => undefined,
    maxConnections: () => 10,
    isStopping: () => false,
  };
  return { host, clock, conns, slots: () => slots };
}

/** Lets promise callbacks (the pool's .then on a connection's end) run. */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('pool hand-off', () => {
  it('opens a new connection for a demand that arrives while the idle one is quitting', async () => {
    const { host, clock, conns } = scriptedHost();
    const pool = new Pool('default', 'example.test', host);
    pool.demand(1, 1);
    assert.equal(conns.length, 1);
    // The connection delivered, found the queue empty and idles; idle_timeout passes: it QUITs.
    const wake = conns[0]!.idleWait(1000);
    clock.advance(1000);
    assert.equal(await wake, 'timeout');
    // The retried job becomes active while the QUIT is in flight.
    pool.demand(1, 1);
    assert.equal(conns.length, 2, 'a quitting connection is no capacity: a new one opens');
    conns[0]!.end('idle');
    await settle();
    assert.equal(pool.goal, 1, 'the ending connection does not cancel a demand it never saw');
    assert.equal(conns.length, 2, 'and opens nothing beyond the goal');
    assert.equal(pool.size, 1);
  });

  it('serves a demand that arrives on the very tick the idle timer fires', async () => {
    const { host, clock, conns } = scriptedHost();
    const pool = new Pool('default', 'example.test', host);
    pool.demand(1, 1);
    // The retry timer (queue) and the idle timer (pool) are both due at t+1000; the idle one was set first.
    const wake = conns[0]!.idleWait(1000);
    clock.setTimer(1000, () => pool.demand(1, 1));
    clock.advance(1000);
    assert.equal(await wake, 'timeout');
    assert.equal(conns.length, 2);
    conns[0]!.end('idle');
    await settle();
    assert.equal(conns.length, 2);
    assert.equal(pool.goal, 1);
  });

  it('opens another connection when one ends empty after a demand it did not see', async () => {
    const { host, conns } = scriptedHost();
    const pool = new Pool('default', 'example.test', host);
    pool.demand(1, 1);
    // Its first queue.take came back empty (another connection had the job); the next job arrives
    // before the pool hears that it ended.
    pool.demand(1, 1);
    assert.equal(conns.length, 1, 'still counted: it may yet take the job');
    conns[0]!.end('empty');
    await settle();
    assert.equal(conns.length, 2, 'the demand it missed gets a fresh connection');
    assert.equal(pool.goal, 1);
  });

  it('still lets a connection that found the queue empty end the demand when nothing new came', async () => {
    const { host, clock, conns, slots } = scriptedHost();
    const pool = new Pool('default', 'example.test', host);
    pool.demand(1, 1);
    const wake = conns[0]!.idleWait(1000);
    clock.advance(1000);
    assert.equal(await wake, 'timeout');
    conns[0]!.end('idle');
    await settle();
    assert.equal(conns.length, 1);
    assert.equal(pool.goal, 0);
    assert.equal(pool.size, 0);
    assert.equal(slots(), 0);
  });

  it('wakes an idle connection for work instead of opening a new one', async () => {
    const { host, conns } = scriptedHost();
    const pool = new Pool('default', 'example.test', host);
    pool.demand(1, 1);
    const wake = conns[0]!.idleWait(1000);
    pool.demand(1, 1);
    assert.equal(await wake, 'work');
    assert.equal(conns.length, 1);
  });
});
