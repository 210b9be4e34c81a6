import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '@petrel/core';
import { countingDns } from '../context-fixture.js';
import { CachingResolver, MX_TTL_MS, NEGATIVE_TTL_MS } from './caching-resolver.js';
import type { DnsClient } from './dns-client.js';

function dnsError(code: string): Error {
  return Object.assign(new Error(`queryMx ${code}`), { code });
}

/** A scripted client: MX answers by name; A answers with TTL 30 s. */
function fake(): DnsClient & { failWith?: string } {
  const client: DnsClient & { failWith?: string } = {
    resolveMx: async (name) => {
      if (client.failWith) throw dnsError(client.failWith);
      if (name === 'nxdomain.test') throw dnsError('ENOTFOUND');
      if (name === 'nodata.test') throw dnsError('ENODATA');
      if (name === 'null.test') return [{ exchange: '', priority: 0 }];
      return [{ exchange: `mx.${name}`, priority: 10 }];
    },
    resolve4: async () => [{ address: '192.0.2.1', ttl: 30 }],
    resolve6: async () => {
      throw dnsError('ENODATA');
    },
  };
  return client;
}

test('maps ENOTFOUND to nxdomain, ENODATA to nodata and other codes to a PETREL_ERR_DNS error', async () => {
  const inner = fake();
  const r = new CachingResolver({ client: inner, now: () => 0 });
  assert.deepEqual(await r.mx('nxdomain.test'), { kind: 'nxdomain' });
  assert.deepEqual(await r.mx('nodata.test'), { kind: 'nodata' });
  inner.failWith = 'ESERVFAIL';
  const a = await r.mx('servfail.test');
  assert.equal(a.kind, 'error');
  assert.equal(a.kind === 'error' && a.error.code, 'PETREL_ERR_DNS');
  assert.match(a.kind === 'error' ? a.error.message : '', /ESERVFAIL/);
});

test('transient failures are not cached: the next lookup asks again', async () => {
  const inner = fake();
  inner.failWith = 'ETIMEOUT';
  const client = countingDns(inner);
  const r = new CachingResolver({ client, now: () => 0 });
  assert.equal((await r.mx('flaky.test')).kind, 'error');
  delete inner.failWith;
  assert.equal((await r.mx('flaky.test')).kind, 'records');
  assert.equal(client.count('MX flaky.test'), 2);
});

test('NXDOMAIN and null MX are cached for the negative TTL only', async () => {
  const clock = new ManualClock();
  const client = countingDns(fake());
  const r = new CachingResolver({ client, now: () => clock.now() });
  await r.mx('nxdomain.test');
  await r.mx('null.test');
  clock.advance(NEGATIVE_TTL_MS - 1);
  await r.mx('nxdomain.test');
  await r.mx('null.test');
  assert.equal(client.count('MX'), 2);
  clock.advance(1);
  await r.mx('nxdomain.test');
  await r.mx('null.test');
  assert.equal(client.count('MX'), 4);
});

test('an MX answer lives 300 s unless capped, addresses live for their record TTL', async () => {
  const clock = new ManualClock();
  const client = countingDns(fake());
  const r = new CachingResolver({ client, now: () => clock.now() });
  await r.mx('a.test');
  await r.mx('b.test');
  r.capMxTtl('b.test', 30_000);
  await r.addresses('mx.a.test', 4);
  clock.advance(30_000);
  await r.mx('a.test');
  await r.mx('b.test');
  await r.addresses('mx.a.test', 4);
  assert.deepEqual(client.queries, ['MX a.test', 'MX b.test', 'A mx.a.test', 'MX b.test', 'A mx.a.test']);
  clock.advance(MX_TTL_MS - 30_000);
  await r.mx('a.test');
  assert.equal(client.count('MX a.test'), 2);
});

test('concurrent lookups of one name share a single query', async () => {
  const client = countingDns(fake());
  const r = new CachingResolver({ client, now: () => 0 });
  const answers = await Promise.all(Array.from({ length: 5 }, () => r.mx('Same.Test.')));
  assert.equal(client.count('MX'), 1);
  for (const a of answers) assert.deepEqual(a, answers[0]);
  assert.deepEqual(r.stats, { hits: 4, misses: 1 });
});

test('the cache stays within its entry bound', async () => {
  const client = countingDns(fake());
  const r = new CachingResolver({ client, now: () => 0, maxEntries: 3 });
  for (let i = 0; i < 10; i++) await r.mx(`d${i}.test`);
  await r.mx('d9.test');
  await r.mx('d0.test');
  assert.equal(client.count('MX d9.test'), 1, 'recent entry kept');
  assert.equal(client.count('MX d0.test'), 2, 'oldest entry evicted');
});
