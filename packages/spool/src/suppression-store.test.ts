import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SuppressionEntry } from '@petrel/core';
import { SqliteSuppressionStore } from './suppression-store.js';

const e = (address: string, over: Partial<SuppressionEntry> = {}): SuppressionEntry => ({
  address,
  scope: 'global',
  reason: 'manual',
  source: 'test',
  createdAt: 1000,
  ...over,
});

test('the suppression list finds addresses and @domain entries by scope, and survives a reopen', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-suppression-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let s = SqliteSuppressionStore.open(dir);
  assert.equal(
    await s.add([
      e('gone@example.test', { reason: 'out_of_band', bounceClass: 10, source: 'M1' }),
      e('@blocked.test'),
      e('vip@example.test', { scope: 'marketing', reason: 'complaint' }),
    ]),
    3,
  );
  assert.deepEqual(await s.find('gone@example.test', ['global']), {
    address: 'gone@example.test',
    scope: 'global',
    reason: 'out_of_band',
    bounceClass: 10,
    source: 'M1',
    createdAt: 1000,
  });
  assert.equal((await s.find('anyone@blocked.test', ['global']))?.address, '@blocked.test');
  assert.equal(await s.find('vip@example.test', ['global']), undefined, 'a group entry is not global');
  assert.equal((await s.find('vip@example.test', ['global', 'marketing']))?.reason, 'complaint');
  assert.equal(await s.find('fine@example.test', ['global', 'marketing']), undefined);
  s.close();

  s = SqliteSuppressionStore.open(dir);
  assert.deepEqual(await s.counts(), { hard_bounce: 0, out_of_band: 1, complaint: 1, manual: 1 });
  assert.deepEqual(
    (await s.list({ reason: 'manual' })).map((x) => x.address),
    ['@blocked.test'],
  );
  assert.equal((await s.list({ limit: 2 })).length, 2);
  assert.equal(await s.remove('vip@example.test', 'global'), 0, 'only the named scope');
  assert.equal(await s.remove('vip@example.test'), 1);
  // Same address and scope again replaces the entry.
  await s.add([e('gone@example.test', { reason: 'manual', createdAt: 2000 })]);
  assert.equal((await s.list({ address: 'gone@example.test' })).length, 1);
  assert.equal((await s.find('gone@example.test', ['global']))?.reason, 'manual');
  s.close();
});

test('the suppression list still finds every entry after its filter grew past its first size, and after a reopen', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-suppression-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let s = SqliteSuppressionStore.open(dir);
  // 6,000 in batches: past the smallest filter's 4,096 keys, so it is rebuilt from the table.
  for (let b = 0; b < 6; b++)
    await s.add(Array.from({ length: 1000 }, (_, i) => e(`user${b * 1000 + i}@example.test`)));
  await s.add([e('@whole.test')]);
  await s.remove('user17@example.test');
  const check = async (store: SqliteSuppressionStore) => {
    for (let i = 0; i < 6000; i++)
      if (i !== 17) assert.ok(await store.find(`user${i}@example.test`, ['global']), `user${i}`);
    assert.equal(await store.find('user17@example.test', ['global']), undefined, 'removed stays removed');
    assert.equal((await store.find('x@whole.test', ['global']))?.address, '@whole.test');
    assert.equal(await store.find('user6001@example.test', ['global']), undefined);
  };
  await check(s);
  s.close();
  s = SqliteSuppressionStore.open(dir);
  await check(s);
  s.close();
});
