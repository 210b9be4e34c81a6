/** The queue under [cluster]: suspensions shared through a SuspensionShare, throttles from a shared bucket factory. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { QueueSelector, Rate, Suspension, SuspensionApply, SuspensionShare, TokenSource } from '@petrel/core';
import { S, harness, makeJob } from './test-support.js';

/** A share that records what this node told and lets the test play the other nodes. */
class FakeShare implements SuspensionShare {
  readonly told: (Suspension | QueueSelector)[] = [];
  apply: SuspensionApply | undefined;
  suspended(s: Suspension): void {
    this.told.push(s);
  }
  resumed(sel: QueueSelector): void {
    this.told.push(sel);
  }
  attach(apply: SuspensionApply): () => void {
    this.apply = apply;
    return () => (this.apply = undefined);
  }
}

describe('queue cluster ports', () => {
  it("another node's suspension holds this node's mail; its resume releases it; nothing is told back", async () => {
    const share = new FakeShare();
    const h = await harness('', { cluster: { suspensions: share } });
    h.route(makeJob({ domain: 'x.test', receivedAt: h.t0 }));
    share.apply!.suspend({ domain: 'x.test', since: h.t0 });
    assert.equal(await h.take('x.test'), null);
    assert.deepEqual(
      (await h.bus.request('queue.suspensions', {})).map((s) => s.domain),
      ['x.test'],
    );
    share.apply!.resume({ domain: 'x.test' });
    assert.ok(await h.take('x.test'));
    assert.deepEqual(share.told, []);
    await h.queue.stop();
  });

  it('a suspension set here is told to the other nodes, and so is its resume', async () => {
    const share = new FakeShare();
    const h = await harness('', { cluster: { suspensions: share } });
    await h.bus.request('queue.suspend', { domain: 'Y.test', reason: 'r' });
    await h.bus.request('queue.resume', { domain: 'y.test' });
    assert.deepEqual(share.told, [{ domain: 'y.test', reason: 'r', since: h.t0 }, { domain: 'y.test' }]);
    await h.queue.stop();
  });

  it('a suspension restored at start (since given) holds mail here but is not told to the cluster', async () => {
    const share = new FakeShare();
    const h = await harness('', { cluster: { suspensions: share } });
    await h.bus.request('queue.suspend', { domain: 'r.test', since: h.t0 - 5 * S, durationMs: 60 * S });
    h.route(makeJob({ domain: 'r.test', receivedAt: h.t0 }));
    assert.equal(await h.take('r.test'), null);
    assert.deepEqual(share.told, []);
    await h.queue.stop();
  });

  it('a reconcile lifts what the cluster no longer has and sets what it has, timed ones with their end', async () => {
    const share = new FakeShare();
    const h = await harness('', { cluster: { suspensions: share } });
    await h.bus.request('queue.suspend', { domain: 'gone.test' });
    share.apply!.reconcile([{ binding: 'default', since: h.t0, until: h.t0 + 10 * S }]);
    assert.deepEqual(await h.bus.request('queue.suspensions', {}), [
      { binding: 'default', since: h.t0, until: h.t0 + 10 * S },
    ]);
    h.route(makeJob({ domain: 'z.test', receivedAt: h.t0 }));
    assert.equal(await h.take('z.test'), null);
    // The timed suspension ends on this node's own timer.
    h.clock.advance(10 * S);
    assert.ok(await h.take('z.test'));
    assert.deepEqual(await h.bus.request('queue.suspensions', {}), []);
    await h.queue.stop();
  });

  it('outbound_throttle_messages draws from the shared bucket factory, keyed by option, scope and rate', async () => {
    const asked: { key: string; rate: Rate }[] = [];
    let tokens = 1;
    const source: TokenSource = { tryTake: () => tokens-- > 0, waitMs: () => 500 };
    const h = await harness('[domain."t.test"]\noutbound_throttle_messages = "5/1m"\n', {
      cluster: {
        throttles: (key, rate) => {
          asked.push({ key, rate });
          return source;
        },
      },
    });
    h.route(makeJob({ domain: 't.test', receivedAt: h.t0 }), makeJob({ domain: 't.test', receivedAt: h.t0 }));
    assert.ok(await h.take('t.test'));
    assert.equal(await h.take('t.test'), null);
    assert.equal(asked.length, 1);
    const [option, scope, rate] = asked[0]!.key.split('\u0000');
    assert.equal(option, 'outbound_throttle_messages');
    assert.match(scope ?? '', /t\.test/);
    assert.equal(rate, '5/60000');
    assert.deepEqual(asked[0]!.rate, { count: 5, perMs: 60_000 });
    await h.queue.stop();
  });
});
