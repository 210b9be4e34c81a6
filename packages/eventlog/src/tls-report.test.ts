/** RFC 8460 counters: sessions per policy, failure details, the report's shape, durability across instances. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { silentLogger, type TlsSessionReport } from '@petrel/core';
import { TlsReportStore } from './tls-report.js';

const AT = Date.parse('2026-12-06T10:00:00Z');
const STS = ['version: STSv1', 'mode: enforce', 'mx: *.d.test', 'max_age: 86400'];

function session(over: Partial<TlsSessionReport> = {}): TlsSessionReport {
  return {
    at: AT,
    domain: 'd.test',
    outcome: { policy: 'mta-sts', result: 'success', mode: 'enforce' },
    policyString: STS,
    mxHost: 'mx.d.test',
    receivingIp: '192.0.2.1',
    ...over,
  };
}

test('successes and failures are counted per policy, with result type, MX and IP', () => {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-tlsrpt-'));
  try {
    const s = new TlsReportStore(dir, silentLogger(), 10_000);
    s.record(session());
    s.record(session());
    const bad = { policy: 'mta-sts' as const, result: 'failure' as const, failure: 'certificate-expired' as const };
    s.record(session({ outcome: bad, detail: 'CERT_HAS_EXPIRED' }));
    s.record(session({ domain: 'd.test', outcome: { policy: 'dane', result: 'success' }, policyString: ['3 1 1 ab'] }));
    s.record(session({ domain: 'other.test' }));
    const r = s.report('d.test', '2026-12-06', 'petrel.test') as {
      'date-range': Record<string, string>;
      policies: {
        policy: Record<string, unknown>;
        summary: Record<string, number>;
        'failure-details'?: Record<string, unknown>[];
      }[];
    };
    assert.deepEqual(r['date-range'], {
      'start-datetime': '2026-12-06T00:00:00Z',
      'end-datetime': '2026-12-06T23:59:59Z',
    });
    const sts = r.policies.find((p) => p.policy['policy-type'] === 'sts')!;
    assert.deepEqual(sts.policy, {
      'policy-type': 'sts',
      'policy-string': STS,
      'policy-domain': 'd.test',
      'mx-host': '*.d.test',
    });
    assert.deepEqual(sts.summary, { 'total-successful-session-count': 2, 'total-failure-session-count': 1 });
    assert.deepEqual(sts['failure-details'], [
      {
        'result-type': 'certificate-expired',
        'receiving-ip': '192.0.2.1',
        'receiving-mx-hostname': 'mx.d.test',
        'failed-session-count': 1,
        'additional-information': 'CERT_HAS_EXPIRED',
      },
    ]);
    const tlsa = r.policies.find((p) => p.policy['policy-type'] === 'tlsa')!;
    assert.deepEqual([tlsa.policy['mx-host'], tlsa.summary['total-successful-session-count']], ['mx.d.test', 1]);
    assert.deepEqual(s.report('d.test', '2026-12-05', 'petrel.test').policies, [], 'another day');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a plaintext session without a policy counts as a no-policy-found failure (starttls-not-supported)', () => {
  const s = new TlsReportStore(join(tmpdir(), 'unused-tlsrpt'), silentLogger(), 10_000);
  s.record(session({ outcome: { policy: 'opportunistic', result: 'plaintext' }, policyString: undefined }));
  const r = s.report('d.test', '2026-12-06', 'p') as {
    policies: { policy: Record<string, unknown>; 'failure-details': { 'result-type': string }[] }[];
  };
  assert.deepEqual(r.policies[0]!.policy, { 'policy-type': 'no-policy-found', 'policy-domain': 'd.test' });
  assert.equal(r.policies[0]!['failure-details'][0]!['result-type'], 'starttls-not-supported');
});

test('counters written by flush are read back by a new store (restart)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-tlsrpt-'));
  try {
    const a = new TlsReportStore(dir, silentLogger(), 10_000);
    a.record(session());
    a.flush();
    const b = new TlsReportStore(dir, silentLogger(), 10_000);
    b.record(session());
    const r = b.report('d.test', '2026-12-06', 'p') as { policies: { summary: Record<string, number> }[] };
    assert.equal(r.policies[0]!.summary['total-successful-session-count'], 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a malformed date is a PETREL_ERR_TLS_REPORT error', () => {
  const s = new TlsReportStore(join(tmpdir(), 'unused-tlsrpt'), silentLogger());
  assert.throws(() => s.report('d.test', '12/06/2026', 'p'), { code: 'PETREL_ERR_TLS_REPORT' });
});
