/** MTA-STS discovery: fetch on a new id only, max_age, cache across restarts, failures (RFC 8461 §3.3, §5.1). */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MtaStsCache } from './mta-sts-cache.js';
import type { FetchResult } from './mta-sts-fetch.js';
import { MtaStsResolver, RECHECK_MS, type TxtLookup } from './mta-sts.js';

const POLICY = (mode: string, maxAge: number): string =>
  `version: STSv1\nmode: ${mode}\nmx: mx.d.test\nmax_age: ${maxAge}\n`;

function world(file?: string) {
  const state = {
    now: 1_000_000,
    txt: [['v=STSv1; id=one']] as readonly (readonly string[])[] | 'none' | 'error',
    body: { ok: true, text: POLICY('enforce', 3600) } as FetchResult,
    fetches: 0,
  };
  const txt: TxtLookup = async () => state.txt;
  const make = (): MtaStsResolver =>
    new MtaStsResolver({
      txt,
      fetch: async () => {
        state.fetches++;
        return state.body;
      },
      cache: new MtaStsCache(file),
      now: () => state.now,
    });
  return { state, make };
}

test('a policy is fetched once; a known id is not fetched again; a new id is', async () => {
  const { state, make } = world();
  const r = make();
  assert.deepEqual((await r.discover('d.test')).policy?.mx, ['mx.d.test']);
  state.now += RECHECK_MS + 1;
  await r.discover('d.test');
  assert.equal(state.fetches, 1, 'same id: the cached policy is current');
  state.txt = [['v=STSv1; id=two']];
  state.body = { ok: true, text: POLICY('testing', 3600) };
  state.now += RECHECK_MS + 1;
  assert.equal((await r.discover('d.test')).policy?.mode, 'testing');
  assert.equal(state.fetches, 2);
});

test('within RECHECK_MS the answer is reused without a TXT lookup (no per-connection DNS)', async () => {
  const { state, make } = world();
  const r = make();
  await r.discover('d.test');
  state.txt = 'error';
  for (let i = 0; i < 5; i++) assert.equal((await r.discover('d.test')).policy?.mode, 'enforce');
  assert.equal(r.stats.discoveries, 1);
});

test('a policy expires after max_age: then it is fetched again even with the same id', async () => {
  const { state, make } = world();
  const r = make();
  state.body = { ok: true, text: POLICY('enforce', 600) };
  await r.discover('d.test');
  state.now += 601_000;
  await r.discover('d.test');
  assert.equal(state.fetches, 2);
});

test('a removed TXT record or a failed lookup keeps the cached policy in force until it expires', async () => {
  const { state, make } = world();
  const r = make();
  await r.discover('d.test');
  state.txt = 'none';
  state.now += RECHECK_MS + 1;
  assert.equal((await r.discover('d.test')).policy?.mode, 'enforce');
  state.now += 3_600_000;
  assert.equal((await r.discover('d.test')).policy, undefined, 'expired');
});

test('a fetch failure with no cached policy: no policy, and the failure is reported', async () => {
  const { state, make } = world();
  state.body = { ok: false, reason: 'HTTP status 404', webpki: false };
  const got = await make().discover('d.test');
  assert.equal(got.policy, undefined);
  assert.deepEqual(got.failure, { type: 'sts-policy-fetch-error', detail: 'HTTP status 404' });
});

test('a fetch failure or an invalid new policy keeps the cached one, reported; a bad certificate is sts-webpki-invalid', async () => {
  const { state, make } = world();
  const r = make();
  await r.discover('d.test');
  state.txt = [['v=STSv1; id=two']];
  state.body = { ok: false, reason: 'CERT_HAS_EXPIRED', webpki: true };
  state.now += RECHECK_MS + 1;
  const got = await r.discover('d.test');
  assert.equal(got.policy?.id, 'one');
  assert.equal(got.failure?.type, 'sts-webpki-invalid');
  state.body = { ok: true, text: 'garbage' };
  state.now += RECHECK_MS + 1;
  assert.equal((await r.discover('d.test')).failure?.type, 'sts-policy-invalid');
});

test('mode none is cached and means no policy', async () => {
  const { state, make } = world();
  state.body = { ok: true, text: 'version: STSv1\nmode: none\nmax_age: 3600\n' };
  const got = await make().discover('d.test');
  assert.deepEqual(got, {});
});

test('the cache survives a restart: a new resolver on the same file needs no fetch for a known id', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-sts-'));
  try {
    const file = join(dir, 'mta-sts-policies.json');
    const { state, make } = world(file);
    await make().discover('d.test');
    const again = make();
    state.body = { ok: false, reason: 'unreachable', webpki: false };
    assert.equal((await again.discover('d.test')).policy?.mode, 'enforce');
    assert.equal(state.fetches, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a remembered answer is not reused past the policy expiry, even within RECHECK_MS', async () => {
  const { state, make } = world();
  const r = make();
  state.body = { ok: true, text: POLICY('enforce', 60) };
  await r.discover('d.test');
  state.now += 61_000;
  state.txt = 'none';
  assert.equal((await r.discover('d.test')).policy, undefined);
});
