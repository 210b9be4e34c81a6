/** The per-host TLS decision: DANE over MTA-STS over the configured policy (RFC 8461 §2, RFC 7672 §2.2). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig, type MtaStsRoutePolicy, type RouteHost } from '@petrel/core';
import { SmtpSessionError } from '@petrel/smtp-client';
import { SmtpReply, Stage } from '@petrel/core';
import type { HostsRoute } from './route.js';
import { failureOf, openedOutcome, planTls } from './tls-plan.js';

const policy = parseConfig('[global]\ntls = "ifavailable"\n', 't.toml').delivery.policy('default', 'd.test');
const host: RouteHost = { name: 'mx.d.test', address: '192.0.2.1', family: 4, preference: 10 };
const sts = (mode: 'enforce' | 'testing', mx: string[]): MtaStsRoutePolicy => ({
  mode,
  mx,
  id: '1',
  lines: ['version: STSv1', `mode: ${mode}`, ...mx.map((m) => `mx: ${m}`), 'max_age: 60'],
});
const route = (extra: Partial<HostsRoute> = {}): HostsRoute => ({
  kind: 'hosts',
  hosts: [host],
  port: 25,
  ehloName: 'p.test',
  gateway: false,
  ...extra,
});

test('no policy: opportunistic TLS as configured (or none with tls = "no")', () => {
  assert.deepEqual(planTls(route(), host, 'd.test', policy, undefined), {
    policy: 'opportunistic',
    options: { tls: 'ifavailable' },
  });
  assert.equal(planTls(route(), host, 'd.test', { ...policy, tls: 'no' }, undefined).policy, 'none');
});

test('MTA-STS enforce: TLS required and the certificate judged against the MX name', () => {
  const p = planTls(route({ mtaSts: sts('enforce', ['*.d.test']) }), host, 'd.test', policy, undefined);
  assert.equal(p.skip, undefined);
  assert.deepEqual(p.options, { tls: 'required', tlsAuth: { kind: 'mta-sts', name: 'mx.d.test', enforce: true } });
});

test('MTA-STS enforce: an MX the policy does not name is not used; testing only observes it', () => {
  const enforce = planTls(route({ mtaSts: sts('enforce', ['mx.other.test']) }), host, 'd.test', policy, undefined);
  assert.equal(enforce.skip?.failure, 'validation-failure');
  const testing = planTls(route({ mtaSts: sts('testing', ['mx.other.test']) }), host, 'd.test', policy, undefined);
  assert.equal(testing.skip, undefined);
  assert.equal(testing.observed?.failure, 'validation-failure');
  assert.deepEqual(testing.options.tlsAuth, { kind: 'mta-sts', name: 'mx.d.test', enforce: false });
  assert.equal(testing.options.tls, 'ifavailable');
});

test('DANE takes precedence over MTA-STS for a host with usable TLSA records', () => {
  const records = [{ usage: 3, selector: 1, matchingType: 1, data: 'ab'.repeat(32) }];
  const h = { ...host, dane: { kind: 'tlsa' as const, records } };
  const p = planTls(route({ mtaSts: sts('enforce', ['mx.other.test']) }), h, 'd.test', policy, undefined);
  assert.equal(p.policy, 'dane');
  assert.equal(p.skip, undefined);
  assert.deepEqual(p.options, {
    tls: 'required',
    tlsAuth: { kind: 'dane', records, names: ['mx.d.test', 'd.test'] },
  });
  assert.deepEqual(p.policyString, [`3 1 1 ${'ab'.repeat(32)}`]);
});

test('DANE: an unusable TLSA set means mandatory unauthenticated TLS; a lookup failure skips the host', () => {
  const unusable = { ...host, dane: { kind: 'unusable' as const, records: [] } };
  assert.deepEqual(planTls(route(), unusable, 'd.test', policy, undefined).options, {
    tls: 'required',
    tlsAuth: { kind: 'encrypt' },
  });
  const failed = { ...host, dane: { kind: 'failure' as const, reason: 'SERVFAIL' } };
  assert.equal(planTls(route(), failed, 'd.test', policy, undefined).skip?.failure, 'dnssec-invalid');
});

test('outcomes: success, an observed failure, plaintext; failures of a refused session by stage', () => {
  const enforce = planTls(route({ mtaSts: sts('enforce', ['*.d.test']) }), host, 'd.test', policy, undefined);
  assert.deepEqual(openedOutcome(enforce, { protocol: 'TLSv1.3' }, { ok: true }), {
    policy: 'mta-sts',
    result: 'success',
    mode: 'enforce',
  });
  const testing = planTls(route({ mtaSts: sts('testing', ['*.d.test']) }), host, 'd.test', policy, undefined);
  assert.equal(
    openedOutcome(testing, {}, { ok: false, failure: 'certificate-expired' }).failure,
    'certificate-expired',
  );
  assert.equal(
    openedOutcome(planTls(route(), host, 'd.test', policy, undefined), undefined, undefined).result,
    'plaintext',
  );
  const noStarttls = new SmtpSessionError(SmtpReply.parse('451 4.7.6 x'), Stage.DURING_STARTTLS, { tryNextHost: true });
  assert.equal(failureOf(noStarttls), 'starttls-not-supported');
  const auth = new SmtpSessionError(SmtpReply.parse('451 4.7.5 x'), Stage.HANDSHAKING_TLS, {
    tryNextHost: true,
    cause: Object.assign(new Error('m'), { code: 'tlsa-invalid' }),
  });
  assert.equal(failureOf(auth), 'tlsa-invalid');
});
