import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock, isPetrelError } from '@petrel/core';
import { body, envelope, spoolFixture } from './spool-fixture.js';

for (const writer of ['worker', 'inline'] as const) {
  test(`a message's record is stored with it, and a taken key refuses the message alone (${writer})`, async (t) => {
    const fx = spoolFixture(t);
    const { spool, ctx, spooled } = await fx.open({ writer });
    const record = { key: 'idem:c:k:0', value: '{"id":"A1"}' };
    await ctx.bus.request('spool.store', { envelope: envelope(['a@example.test'], 'A1'), body: body(1), record });
    const [again, other] = await Promise.allSettled([
      ctx.bus.request('spool.store', { envelope: envelope(['a@example.test'], 'A2'), body: body(2), record }),
      ctx.bus.request('spool.store', { envelope: envelope(['b@example.test'], 'B1'), body: body(3) }),
    ]);
    assert.equal(again.status, 'rejected');
    assert.ok(isPetrelError((again as PromiseRejectedResult).reason, 'PETREL_ERR_SPOOL_RECORD_EXISTS'));
    assert.equal(other.status, 'fulfilled');
    assert.deepEqual(
      spooled.map((e) => e.envelope.id),
      ['A1', 'B1'],
      'the refused message was neither stored nor announced',
    );
    assert.equal(spool.stats().messages, 2);
    const [row, none] = await ctx.bus.request('spool.records', { keys: [record.key, 'idem:c:k:1'] });
    assert.equal(row?.value, record.value);
    assert.equal(none, null);
  });
}

test('records survive a restart; put replaces, prune deletes only old rows under the prefix', async (t) => {
  const fx = spoolFixture(t);
  const clock = new ManualClock(1_000_000);
  const first = await fx.open({}, clock);
  await first.ctx.bus.request('spool.put_record', { key: 'webhook:a', value: '1' });
  await first.ctx.bus.request('spool.put_record', { key: 'webhook:a', value: '2' });
  await first.ctx.bus.request('spool.put_record', { key: 'idem:x', value: 'old' });
  clock.advance(10_000);
  await first.ctx.bus.request('spool.put_record', { key: 'idem:y', value: 'new' });
  await first.spool.stop();
  const second = await fx.open({}, clock);
  const { bus } = second.ctx;
  assert.deepEqual(
    (await bus.request('spool.records', { keys: ['webhook:a', 'idem:x', 'idem:y'] })).map((r) => r?.value),
    ['2', 'old', 'new'],
  );
  const { deleted } = await bus.request('spool.prune_records', { prefix: 'idem:', before: 1_005_000 });
  assert.equal(deleted, 1);
  assert.deepEqual(
    (await bus.request('spool.records', { keys: ['webhook:a', 'idem:x', 'idem:y'] })).map((r) => r?.value ?? null),
    ['2', null, 'new'],
  );
});
