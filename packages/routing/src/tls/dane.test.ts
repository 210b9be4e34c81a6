/** DANE lookups (RFC 7672 §2.2): secure MX only, usable / unusable TLSA sets, insecure answers, failures, caching. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TYPE_MX, TYPE_TLSA, type SecureAnswer } from '../dns/dnssec-client.js';
import { DaneResolver, isUsable } from './dane.js';

const tlsa = (usage: number, selector: number, mt: number, bytes: number) => ({
  type: TYPE_TLSA,
  ttl: 300,
  data: Buffer.concat([Buffer.from([usage, selector, mt]), Buffer.alloc(bytes, 1)]),
});

function resolver(answers: Record<string, SecureAnswer | Error>) {
  const asked: string[] = [];
  const r = new DaneResolver({
    now: () => 0,
    query: async (name, type) => {
      asked.push(`${name}/${type}`);
      const a = answers[`${name}/${type}`];
      if (a instanceof Error) throw a;
      return a ?? { rcode: 3, ad: true, answers: [] };
    },
  });
  return { r, asked };
}

test('a secure TLSA set with a usable record makes DANE apply, with the usable records only', async () => {
  const { r } = resolver({
    [`_25._tcp.mx.d.test/${TYPE_TLSA}`]: { rcode: 0, ad: true, answers: [tlsa(3, 1, 1, 32), tlsa(1, 1, 1, 32)] },
  });
  const got = await r.host('mx.d.test');
  assert.equal(got?.kind, 'tlsa');
  assert.deepEqual(got?.kind === 'tlsa' ? got.records.map((x) => x.usage) : [], [3]);
});

test('a secure set with no usable record means mandatory unauthenticated TLS (unusable)', async () => {
  const { r } = resolver({
    [`_25._tcp.mx.d.test/${TYPE_TLSA}`]: { rcode: 0, ad: true, answers: [tlsa(1, 1, 1, 32), tlsa(3, 1, 1, 20)] },
  });
  assert.equal((await r.host('mx.d.test'))?.kind, 'unusable');
});

test('an answer without AD, or a denial, means no DANE for the host', async () => {
  const { r } = resolver({
    [`_25._tcp.mx.d.test/${TYPE_TLSA}`]: { rcode: 0, ad: false, answers: [tlsa(3, 1, 1, 32)] },
  });
  assert.equal(await r.host('mx.d.test'), undefined);
  assert.equal(await r.host('mx.none.test'), undefined, 'NXDOMAIN');
});

test('SERVFAIL or no answer makes the host unusable (failure), and is not cached', async () => {
  const { r, asked } = resolver({
    [`_25._tcp.mx.d.test/${TYPE_TLSA}`]: { rcode: 2, ad: false, answers: [] },
    [`_25._tcp.mx.t.test/${TYPE_TLSA}`]: new Error('timeout'),
  });
  assert.equal((await r.host('mx.d.test'))?.kind, 'failure');
  assert.equal((await r.host('mx.d.test'))?.kind, 'failure');
  assert.equal((await r.host('mx.t.test'))?.kind, 'failure');
  assert.equal(asked.filter((a) => a.startsWith('_25._tcp.mx.d.test')).length, 2);
});

test('answers are cached: a second connection costs no query', async () => {
  const { r, asked } = resolver({
    [`_25._tcp.mx.d.test/${TYPE_TLSA}`]: { rcode: 0, ad: true, answers: [tlsa(3, 1, 1, 32)] },
    [`d.test/${TYPE_MX}`]: { rcode: 0, ad: true, answers: [{ type: TYPE_MX, ttl: 60, data: Buffer.alloc(4) }] },
  });
  await r.host('mx.d.test');
  await r.host('mx.d.test');
  assert.equal(await r.mxSecure('d.test'), true);
  assert.equal(await r.mxSecure('d.test'), true);
  assert.equal(asked.length, 2);
});

test('an MX answer without AD is insecure: DANE does not apply to the domain', async () => {
  const { r } = resolver({ [`d.test/${TYPE_MX}`]: { rcode: 0, ad: false, answers: [] } });
  assert.equal(await r.mxSecure('d.test'), false);
});

test('usable: DANE-TA/EE, selectors 0/1, matching types 0/1/2 with the right digest length', () => {
  const rec = (usage: number, selector: number, matchingType: number, bytes: number) => ({
    usage,
    selector,
    matchingType,
    data: '00'.repeat(bytes),
  });
  assert.equal(isUsable(rec(2, 0, 1, 32)), true);
  assert.equal(isUsable(rec(3, 1, 2, 64)), true);
  assert.equal(isUsable(rec(3, 0, 0, 300)), true);
  assert.equal(isUsable(rec(0, 1, 1, 32)), false, 'PKIX-TA is not for SMTP (RFC 7672 §3.1.3)');
  assert.equal(isUsable(rec(3, 2, 1, 32)), false);
  assert.equal(isUsable(rec(3, 1, 1, 31)), false);
  assert.equal(isUsable(rec(3, 1, 3, 32)), false);
});
