/**
 * DANE (RFC 7672) end to end against a real DNSSEC chain on loopback: zones signed with ldns, served
 * by nsd, validated by unbound (Petrel's only DNS server here), MX hosts on aiosmtpd with STARTTLS,
 * mail submitted with smtplib.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  makeTestCa,
  startAio,
  startDnssecWorld,
  submitWithSmtplib,
  tlsaSha256,
  type Aio,
  type DnssecWorld,
} from '@petrel/testkit';
import { petrelCli } from '../lib/cli.js';
import { type EventRecord, type PetrelHandle, startScenarioPetrel, testConfig } from '../lib/petrel.js';
import { scenario, type Scenario } from '../lib/scenario.js';

describe('DANE', () => {
  let s: Scenario;
  let petrel: PetrelHandle;
  let world: DnssecWorld;
  const mx = new Map<string, Aio>();
  let finish: () => Promise<void>;

  before(async () => {
    s = await scenario({
      after: (fn: () => Promise<void>) => {
        finish = fn;
      },
    });
    const certDir = join(s.dir, 'certs');
    mkdirSync(certDir);
    const ca = await makeTestCa(certDir);
    // DANE-EE needs no name match (RFC 7672 §3.1.1): the certificate names some other host.
    const ok = await ca.issue(['unrelated.example']);
    const other = await ca.issue(['mx.bad.dane.test']);
    const ta = await ca.issue(['mx.ta.dane.test']);
    // DANE-TA: the server sends its chain (leaf + CA) so the trust anchor is in it (§3.1.2).
    const taChain = join(certDir, 'ta-chain.pem');
    writeFileSync(taChain, readFileSync(ta.cert, 'utf8') + readFileSync(ca.ca, 'utf8'));
    const plain = await ca.issue(['mx.plain.test']);
    world = await startDnssecWorld(s.dir, [
      {
        name: 'dane.test',
        signed: true,
        records: [
          'ok IN MX 10 mx.ok',
          'mx.ok IN A 127.0.0.51',
          `_25._tcp.mx.ok IN TLSA 3 1 1 ${tlsaSha256(ok.cert, 1)}`,
          'bad IN MX 10 mx.bad',
          'mx.bad IN A 127.0.0.52',
          // The record names a key the server does not have.
          `_25._tcp.mx.bad IN TLSA 3 1 1 ${tlsaSha256(ok.cert, 1)}`,
          'ta IN MX 10 mx.ta',
          'mx.ta IN A 127.0.0.53',
          `_25._tcp.mx.ta IN TLSA 2 0 1 ${tlsaSha256(ca.ca, 0)}`,
          'bogus IN MX 10 mx.bogus',
          'mx.bogus IN A 127.0.0.55',
          `_25._tcp.mx.bogus IN TLSA 3 1 1 ${tlsaSha256(ok.cert, 1)}`,
        ],
        // An attacker's TLSA record: the data no longer matches its signature, so unbound answers SERVFAIL.
        tamper: (zone) =>
          zone.replace(
            new RegExp(
              `(_25\\._tcp\\.mx\\.bogus\\.dane\\.test\\.\\s+\\d+\\s+IN\\s+TLSA\\s+3 1 1 )${tlsaSha256(ok.cert, 1)}`,
              'i',
            ),
            `$1${'0'.repeat(64)}`,
          ),
      },
      {
        name: 'plain.test',
        signed: false,
        records: [
          '@ IN MX 10 mx',
          'mx IN A 127.0.0.54',
          // Unsigned: this (mismatching) record must not be trusted, and mail goes out as usual.
          `_25._tcp.mx IN TLSA 3 1 1 ${tlsaSha256(ok.cert, 1)}`,
        ],
      },
    ]);
    s.defer(() => world.stop());
    const servers: [string, string, string][] = [
      ['ok.dane.test', '127.0.0.51', ok.cert],
      ['bad.dane.test', '127.0.0.52', other.cert],
      ['ta.dane.test', '127.0.0.53', taChain],
      ['plain.test', '127.0.0.54', plain.cert],
      ['bogus.dane.test', '127.0.0.55', plain.cert],
    ];
    const keyOf = new Map([
      [ok.cert, ok.key],
      [other.cert, other.key],
      [taChain, ta.key],
      [plain.cert, plain.key],
    ]);
    for (const [domain, ip, cert] of servers) {
      const aio = s.stopAfter(await startAio(s.dir, ip, s.mxPort, ['--tls', cert, keyOf.get(cert)!]));
      mx.set(domain, aio);
    }
    const cfg = testConfig({
      listenPort: s.listenPort,
      dnsServer: world.server,
      remotePort: s.mxPort,
      global: 'retry_interval = "1h"\ndane = "on"',
    });
    petrel = await startScenarioPetrel(s, cfg);
  });
  after(() => finish());

  const send = (domain: string): Promise<string> =>
    submitWithSmtplib(s.listenPort, {
      sender: 'sender@example.test',
      recipients: [[`user@${domain}`, []]],
      message: `From: sender@example.test\r\nTo: user@${domain}\r\nSubject: dane\r\n\r\nhello\r\n`,
    });
  const outcome = async (id: string, type: string): Promise<EventRecord> => {
    const ev = await petrel.waitForEvents(`${type} of ${id}`, (e) =>
      e.some((x) => x.message_id === id && x.type === type),
    );
    return ev.find((x) => x.message_id === id && x.type === type)!;
  };

  test('a matching DANE-EE record delivers over TLS without a name or CA check', async () => {
    const id = await send('ok.dane.test');
    const d = await outcome(id, 'delivery');
    assert.deepEqual([d.remote_host, d.tls_policy, d.tls_result], ['mx.ok.dane.test', 'dane', 'success']);
    assert.equal(mx.get('ok.dane.test')!.messages().length, 1);
  });

  test('a matching DANE-TA record delivers when the chain leads to it and the name matches', async () => {
    const id = await send('ta.dane.test');
    const d = await outcome(id, 'delivery');
    assert.deepEqual([d.tls_policy, d.tls_result], ['dane', 'success']);
    assert.equal(mx.get('ta.dane.test')!.messages().length, 1);
  });

  test('a mismatching TLSA record defers with 4.7.5 and sends nothing', async () => {
    const id = await send('bad.dane.test');
    const t = await outcome(id, 'transient_failure');
    assert.match(String(t.reply), /^451 4\.7\.5 \[internal\] TLS authentication failed \(tlsa-invalid/);
    assert.deepEqual([t.tls_policy, t.tls_result, t.tls_failure], ['dane', 'failure', 'tlsa-invalid']);
    assert.equal(mx.get('bad.dane.test')!.messages().length, 0);
  });

  test('a TLSA record that fails validation (bogus) makes the host unusable: deferred 4.7.5, not downgraded', async () => {
    const id = await send('bogus.dane.test');
    const t = await outcome(id, 'transient_failure');
    assert.match(String(t.reply), /^451 4\.7\.5 \[internal\] TLS policy refused mx\.bogus\.dane\.test: TLSA lookup/);
    assert.deepEqual([t.tls_policy, t.tls_failure], ['dane', 'dnssec-invalid']);
    assert.equal(mx.get('bogus.dane.test')!.messages().length, 0);
  });

  test('an unsigned zone falls back to the normal (opportunistic) policy', async () => {
    const id = await send('plain.test');
    const d = await outcome(id, 'delivery');
    assert.deepEqual([d.tls_policy, d.tls_result], ['opportunistic', 'success']);
    assert.equal(mx.get('plain.test')!.messages().length, 1);
  });

  test('petrel domain shows the DANE state of the MX hosts', async () => {
    const ok = await petrelCli(petrel, ['domain', 'ok.dane.test']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /dane mx\.ok\.dane\.test: 1 usable TLSA record\(s\)/);
    const plain = await petrelCli(petrel, ['domain', 'plain.test']);
    assert.doesNotMatch(plain.stdout, /dane /, 'an unsigned zone has no DANE state');
  });
});
