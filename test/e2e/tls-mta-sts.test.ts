/**
 * MTA-STS (RFC 8461) end to end: policies published over HTTPS by a real server, TXT and MX records
 * from dnsmasq, MX hosts on aiosmtpd with STARTTLS, mail submitted with smtplib. One daemon serves
 * four destination domains, one per behaviour.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  makeTestCa,
  mtaStsPolicy,
  startAio,
  startMtaStsServer,
  submitWithSmtplib,
  type Aio,
  type MtaStsServer,
} from '@petrel/testkit';
import { waitFor } from '@petrel/testkit';
import { petrelCli } from '../lib/cli.js';
import { type EventRecord, type PetrelHandle, scenarioConfig, startScenarioPetrel } from '../lib/petrel.js';
import { scenario, type Scenario } from '../lib/scenario.js';

/** Domain → its MX address (127.0.0.x) and what the policy and the MX certificate say. */
const DOMAINS = {
  'sts-ok.test': { ip: '127.0.0.41', mode: 'enforce', mx: ['*.sts-ok.test'], certFor: 'mx.sts-ok.test' },
  'sts-nomatch.test': {
    ip: '127.0.0.42',
    mode: 'enforce',
    mx: ['other.sts-nomatch.test'],
    certFor: 'mx.sts-nomatch.test',
  },
  'sts-badcert.test': { ip: '127.0.0.43', mode: 'enforce', mx: ['mx.sts-badcert.test'], certFor: 'wrong-name.test' },
  'sts-testing.test': { ip: '127.0.0.44', mode: 'testing', mx: ['mx.sts-testing.test'], certFor: 'wrong-name.test' },
  // Its TXT record announces a policy the HTTPS server does not have (404).
  'sts-nopolicy.test': {
    ip: '127.0.0.45',
    mode: 'enforce',
    mx: ['mx.sts-nopolicy.test'],
    certFor: 'mx.sts-nopolicy.test',
  },
} as const;
type Domain = keyof typeof DOMAINS;

function dnsLines(): string[] {
  return Object.entries(DOMAINS).flatMap(([d, v]) => [
    `mx-host=${d},mx.${d},10`,
    `host-record=mx.${d},${v.ip}`,
    `host-record=mta-sts.${d},127.0.0.1`,
    `txt-record=_mta-sts.${d},"v=STSv1; id=20261206T1"`,
  ]);
}

describe('MTA-STS', () => {
  let s: Scenario;
  let petrel: PetrelHandle;
  let sts: MtaStsServer;
  const mx = new Map<Domain, Aio>();
  let finish: () => Promise<void>;
  let cfg: string;

  before(async () => {
    // One scenario for the whole block: its cleanups run in after().
    s = await scenario(
      {
        after: (fn: () => Promise<void>) => {
          finish = fn;
        },
      },
      dnsLines(),
    );
    const certDir = join(s.dir, 'certs');
    mkdirSync(certDir);
    const ca = await makeTestCa(certDir);
    const web = await ca.issue(Object.keys(DOMAINS).map((d) => `mta-sts.${d}`));
    sts = await startMtaStsServer({
      ...web,
      policies: Object.fromEntries(
        Object.entries(DOMAINS)
          .filter(([d]) => d !== 'sts-nopolicy.test')
          .map(([d, v]) => [d, mtaStsPolicy(v.mode, v.mx)]),
      ),
    });
    s.defer(() => sts.stop());
    for (const [d, v] of Object.entries(DOMAINS) as [Domain, (typeof DOMAINS)[Domain]][]) {
      const c = await ca.issue([v.certFor]);
      const aio = s.stopAfter(await startAio(s.dir, v.ip, s.mxPort, ['--tls', c.cert, c.key]));
      mx.set(d, aio);
    }
    cfg = scenarioConfig(s, {
      global: 'retry_interval = "1h"',
      extra: `[tls_policy]\nmta_sts_port = ${sts.port}\nmta_sts_ca_file = "${ca.ca}"\n`,
    });
    petrel = await startScenarioPetrel(s, cfg);
  });
  after(() => finish());

  const send = (domain: Domain, tag: string): Promise<string> =>
    submitWithSmtplib(s.listenPort, {
      sender: 'sender@example.test',
      recipients: [[`user@${domain}`, []]],
      message: `From: sender@example.test\r\nTo: user@${domain}\r\nSubject: ${tag}\r\n\r\n${tag}\r\n`,
    });
  const outcome = async (id: string, type: string): Promise<EventRecord> => {
    const ev = await petrel.waitForEvents(`${type} of ${id}`, (e) =>
      e.some((x) => x.message_id === id && x.type === type),
    );
    return ev.find((x) => x.message_id === id && x.type === type)!;
  };

  /** `petrel tls report` for a domain, today (UTC). */
  const report = async (domain: string): Promise<Rpt> => {
    const r = await petrelCli(petrel, ['tls', 'report', '--domain', domain]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as Rpt;
  };
  const failures = (r: Rpt): number => r.policies.reduce((n, p) => n + p.summary['total-failure-session-count'], 0);

  test('enforce with a matching MX and a valid certificate delivers over verified TLS', async () => {
    const id = await send('sts-ok.test', 'ok');
    const d = await outcome(id, 'delivery');
    assert.equal(d.remote_host, 'mx.sts-ok.test');
    assert.deepEqual([d.tls_policy, d.tls_mode, d.tls_result], ['mta-sts', 'enforce', 'success']);
    assert.match(String(d.tls_version), /^TLSv1\.[23]$/);
    assert.equal(mx.get('sts-ok.test')!.messages().length, 1);
    assert.ok(sts.fetches('sts-ok.test') >= 1, 'the policy was fetched over HTTPS');
  });

  test('enforce with an MX the policy does not name defers with 4.7.5 and sends nothing', async () => {
    const id = await send('sts-nomatch.test', 'nomatch');
    const t = await outcome(id, 'transient_failure');
    assert.match(String(t.reply), /^451 4\.7\.5 .*mx\.sts-nomatch\.test.*not in the MTA-STS policy/);
    assert.deepEqual([t.tls_policy, t.tls_result, t.tls_failure], ['mta-sts', 'failure', 'validation-failure']);
    assert.equal(mx.get('sts-nomatch.test')!.messages().length, 0, 'the MX was not used');
  });

  test('enforce with a certificate for another name defers with 4.7.5 (never downgraded to plaintext)', async () => {
    const id = await send('sts-badcert.test', 'badcert');
    const t = await outcome(id, 'transient_failure');
    assert.match(String(t.reply), /^451 4\.7\.5 \[internal\] TLS authentication failed \(certificate-host-mismatch/);
    assert.deepEqual([t.tls_policy, t.tls_failure], ['mta-sts', 'certificate-host-mismatch']);
    assert.equal(mx.get('sts-badcert.test')!.messages().length, 0, 'nothing was sent');
  });

  test('testing mode delivers despite a bad certificate and logs the failure', async () => {
    const id = await send('sts-testing.test', 'testing');
    const d = await outcome(id, 'delivery');
    assert.deepEqual(
      [d.tls_policy, d.tls_mode, d.tls_result, d.tls_failure],
      ['mta-sts', 'testing', 'failure', 'certificate-host-mismatch'],
    );
    assert.equal(mx.get('sts-testing.test')!.messages().length, 1);
  });

  test('a policy that cannot be fetched: delivered as without a policy, the fetch error reported', async () => {
    const id = await send('sts-nopolicy.test', 'nopolicy');
    const d = await outcome(id, 'delivery');
    assert.deepEqual([d.tls_policy, d.tls_result], ['opportunistic', 'success']);
    const r = await waitFor(
      'the fetch error in the report',
      async () => {
        const x = await report('sts-nopolicy.test');
        return x.policies.some((p) => p.policy['policy-type'] === 'sts') ? x : undefined;
      },
      10_000,
    );
    const stsPolicy = r.policies.find((p) => p.policy['policy-type'] === 'sts')!;
    assert.equal(stsPolicy['failure-details']![0]!['result-type'], 'sts-policy-fetch-error');
    assert.match(String(stsPolicy['failure-details']![0]!['additional-information']), /HTTP status 404/);
    const none = r.policies.find((p) => p.policy['policy-type'] === 'no-policy-found')!;
    assert.equal(none.summary['total-successful-session-count'], 1);
  });

  test('petrel tls report prints the RFC 8460 report: successes, failures with result types, kept across a restart', async () => {
    // The counters reach their file within a second of a change; the report reads them from memory.
    const ok = await waitFor(
      'a success in the report',
      async () => {
        const r = await report('sts-ok.test');
        return r.policies[0]?.summary['total-successful-session-count'] ? r : undefined;
      },
      10_000,
    );
    assert.equal(ok.policies[0]!.policy['policy-type'], 'sts');
    assert.deepEqual(
      ok.policies[0]!.policy['policy-string'],
      mtaStsPolicy('enforce', ['*.sts-ok.test']).trimEnd().split('\r\n'),
    );
    assert.equal(ok.policies[0]!.policy['mx-host'], '*.sts-ok.test');
    const bad = await report('sts-badcert.test');
    const detail = bad.policies[0]!['failure-details']![0]!;
    assert.deepEqual(
      [detail['result-type'], detail['receiving-mx-hostname'], detail['receiving-ip']],
      ['certificate-host-mismatch', 'mx.sts-badcert.test', '127.0.0.43'],
    );
    const before = failures(bad);
    assert.ok(before >= 1);
    assert.equal(
      (await report('sts-testing.test')).policies[0]!['failure-details']![0]!['result-type'],
      'certificate-host-mismatch',
    );
    // Durable: a restarted daemon reports the same counts (from <spool_dir>/tlsrpt/<day>.json).
    await petrel.stop();
    petrel = await startScenarioPetrel(s, cfg);
    assert.equal(failures(await report('sts-badcert.test')) >= before, true);
    assert.equal((await report('sts-ok.test')).policies[0]!.summary['total-successful-session-count'], 1);
  });

  test('petrel domain shows the MTA-STS policy in force', async () => {
    const r = await petrelCli(petrel, ['domain', 'sts-ok.test']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /mta-sts: enforce \(id 20261206T1\) mx \*\.sts-ok\.test/);
  });

  test('petrel tls report refuses a malformed date', async () => {
    const r = await petrelCli(petrel, ['tls', 'report', '--domain', 'sts-ok.test', '--date', '6.12.2026']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--date: expected YYYY-MM-DD/);
  });
});

interface Rpt {
  readonly 'organization-name': string;
  readonly policies: readonly {
    readonly policy: Record<string, unknown>;
    readonly summary: { 'total-successful-session-count': number; 'total-failure-session-count': number };
    readonly 'failure-details'?: readonly Record<string, unknown>[];
  }[];
}
