import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import nodemailer from 'nodemailer';
import { scenario } from '../lib/scenario.js';
import { startPetrel, testConfig, type EventRecord } from '../lib/petrel.js';
import { figures, lineServer, startScripted } from './helpers.js';
import { makeCerts, startAio, startSink, freePort, waitFor } from '@petrel/testkit';

type Expect = 'transient' | 'permanent' | 'delivered';

interface Fault {
  readonly name: string;
  /** What stands at the MX: smtp-sink with these options, a scripted peer, aio-server with TLS, or nothing. */
  readonly peer: { sink: string[] } | { script: (s: Socket) => void } | { tlsAio: true } | { none: true };
  readonly expect: Expect;
  /** The reply the event log must carry for the outcome. */
  readonly reply: RegExp;
  /** Extra delivery options in this domain's scope. */
  readonly scope?: string;
  /** A second MX (preference 20): a good sink. The outcome must name its address. */
  readonly backupMx?: true;
}

/** A plain ESMTP dialogue with one twist; `at` answers instead of the normal reply (null = silence). */
function scripted(
  twist: (line: string, s: Socket, st: { inData: boolean }) => string | null | undefined,
  ehlo = '250-fault.test\r\n250 PIPELINING',
): (s: Socket) => void {
  return (s) => {
    s.write('220 fault.test ESMTP\r\n');
    lineServer((line, sock, st) => {
      const t = twist(line, sock, st);
      if (t !== undefined) return t;
      if (st.inData) {
        if (line === '.') {
          st.inData = false;
          return '250 2.0.0 Ok';
        }
        return null;
      }
      const verb = line.slice(0, 4).toUpperCase();
      if (verb === 'EHLO') return ehlo;
      if (verb === 'DATA') {
        st.inData = true;
        return '354 go ahead';
      }
      if (verb === 'QUIT') {
        sock.end('221 bye\r\n');
        return null;
      }
      return '250 2.0.0 Ok';
    })(s);
  };
}

const FAULTS: readonly Fault[] = [
  { name: 'connect-refused', peer: { none: true }, expect: 'transient', reply: /^421 4\.4\.0 \[internal\] no MXs/ },
  { name: 'banner-421', peer: { sink: ['-Q', 'CONNECT'] }, expect: 'transient', reply: /^421 / },
  {
    name: 'banner-554',
    peer: { script: (s) => void s.write('554 5.7.1 no SMTP service here\r\n') },
    expect: 'transient',
    reply: /^421 4\.4\.0 /,
  },
  { name: 'ehlo-5xx-helo-fallback', peer: { sink: ['-f', 'EHLO'] }, expect: 'delivered', reply: /^250 / },
  { name: 'mail-4xx', peer: { sink: ['-r', 'MAIL'] }, expect: 'transient', reply: /^4\d\d / },
  { name: 'mail-5xx', peer: { sink: ['-f', 'MAIL'] }, expect: 'permanent', reply: /^5\d\d / },
  { name: 'rcpt-4xx', peer: { sink: ['-r', 'RCPT'] }, expect: 'transient', reply: /^4\d\d / },
  {
    name: 'rcpt-5xx',
    peer: { sink: ['-f', 'RCPT', '-B', '550 5.1.1 No such user'] },
    expect: 'permanent',
    reply: /^550 5\.1\.1 /,
  },
  { name: 'data-4xx', peer: { sink: ['-r', 'DATA'] }, expect: 'transient', reply: /^4\d\d / },
  { name: 'data-5xx', peer: { sink: ['-f', 'DATA'] }, expect: 'permanent', reply: /^5\d\d / },
  { name: 'dot-4xx', peer: { sink: ['-r', '.'] }, expect: 'transient', reply: /^4\d\d / },
  { name: 'dot-5xx', peer: { sink: ['-f', '.'] }, expect: 'permanent', reply: /^5\d\d / },
  {
    name: 'disconnect-mid-body',
    peer: {
      script: scripted((_l, s, st) => {
        if (!st.inData) return undefined;
        s.destroy();
        return null;
      }),
    },
    expect: 'transient',
    reply: /^4\d\d /,
  },
  {
    name: 'stall-banner',
    peer: { script: () => undefined },
    expect: 'transient',
    reply: /^4\d\d /,
    scope: 'banner_timeout = "1s"',
  },
  {
    name: 'stall-rcpt',
    // PIPELINING: MAIL, RCPT and DATA in one write; the peer answers MAIL and DATA (354) but never RCPT.
    peer: { script: scripted((l) => (/^RCPT/i.test(l) ? null : undefined)) },
    expect: 'transient',
    reply: /^451 4\.4\.2 \[internal\] no RCPT TO response/,
    scope: 'rcptto_timeout = "1s"',
  },
  {
    name: 'stall-rcpt-no-pipelining',
    peer: { script: scripted((l) => (/^RCPT/i.test(l) ? null : undefined), '250-fault.test\r\n250 8BITMIME') },
    expect: 'transient',
    reply: /^451 4\.4\.2 \[internal\] no RCPT TO response/,
    scope: 'rcptto_timeout = "1s"',
  },
  {
    name: 'stall-rcpt-sink',
    // smtp-sink answers the pipelined DATA before the delayed RCPT: never a permanent failure.
    peer: { sink: ['-W', 'rcpt:3'] },
    expect: 'transient',
    reply: /^451 4\.4\.2 \[internal\] no (RCPT TO|DATA) response/,
    scope: 'rcptto_timeout = "1s"\ndata_timeout = "2s"',
  },
  {
    name: 'stall-final-dot',
    peer: { script: scripted((l, _s, st) => (st.inData && l === '.' ? null : undefined)) },
    expect: 'transient',
    reply: /^4\d\d /,
    scope: 'body_timeout = "1s"',
  },
  {
    name: 'tls-handshake-failure',
    peer: {
      script: scripted((l, s) => {
        if (l.toUpperCase() !== 'STARTTLS') return undefined;
        s.end('220 go ahead\r\nthis is not TLS\r\n');
        return null;
      }, '250-fault.test\r\n250-STARTTLS\r\n250 PIPELINING'),
    },
    expect: 'transient',
    // The bytes after the 220 are refused before the handshake ("no tls go-ahead"); either way 4.7.5.
    reply: /^451 4\.7\.5 \[internal\] /,
    scope: 'tls = "required"',
  },
  // TLS-policy failures carry their own reason in the event log (Momentum logs the 4.7.x), not "no MXs … reached".
  {
    name: 'tls-required-not-offered',
    peer: { sink: [] },
    expect: 'transient',
    reply: /^451 4\.7\.6 \[internal\] STARTTLS required but not advertised/,
    scope: 'tls = "required"',
  },
  {
    name: 'tls-cert-mismatch',
    peer: { tlsAio: true },
    expect: 'transient',
    reply: /^451 4\.7\.5 \[internal\] TLS negotiation failed/,
    scope: 'tls = "required"\ntls_verify = "host"',
  },
  // Control: the same peer and certificate without the host check delivers, so the check is what failed above.
  {
    name: 'tls-cert-verify-ca-only',
    peer: { tlsAio: true },
    expect: 'delivered',
    reply: /^250 /,
    scope: 'tls = "required"\ntls_verify = "ca"',
  },
  { name: 'next-mx-after-refused', peer: { none: true }, expect: 'delivered', reply: /^250 /, backupMx: true },
  {
    name: 'next-mx-after-banner-421',
    peer: { sink: ['-Q', 'CONNECT'] },
    expect: 'delivered',
    reply: /^250 /,
    backupMx: true,
  },
];

test('destination fault matrix: each stage fails as expected in the event log (transient + retry, permanent + DSN, next MX)', async (t) => {
  const addr = (i: number): string => `127.0.0.${20 + i}`;
  const backup = (i: number): string => `127.0.0.${100 + i}`;
  const dnsLines = ['mx-host=ok.test,mx.ok.test,10', 'host-record=mx.ok.test,127.0.0.19'];
  FAULTS.forEach((f, i) => {
    dnsLines.push(`mx-host=${f.name}.test,mx.${f.name}.test,10`, `host-record=mx.${f.name}.test,${addr(i)}`);
    if (f.backupMx)
      dnsLines.push(`mx-host=${f.name}.test,mx2.${f.name}.test,20`, `host-record=mx2.${f.name}.test,${backup(i)}`);
  });
  const s = await scenario(t, dnsLines);
  // DSNs go back to the sender's domain: a good sink.
  const okSink = await startSink(s.dir, '127.0.0.19', s.mxPort);
  s.defer(() => okSink.stop());
  const certDir = join(s.dir, 'certs');
  mkdirSync(certDir);
  const certs = await makeCerts(certDir, 'wrong-name.test');
  // Petrel trusts the test CA, so what fails is the host name check, not the chain.
  process.env.NODE_EXTRA_CA_CERTS = certs.ca;

  const scopes: string[] = [];
  for (const [i, f] of FAULTS.entries()) {
    const port = await freePort(addr(i));
    const p = f.peer;
    if ('sink' in p) {
      const sink = await startSink(s.dir, addr(i), port, p.sink);
      s.defer(() => sink.stop());
    } else if ('script' in p) {
      const sc = await startScripted(addr(i), port, p.script);
      s.defer(() => sc.stop());
    } else if ('tlsAio' in p) {
      const aio = await startAio(s.dir, addr(i), port, ['--tls', certs.cert, certs.key]);
      s.defer(() => aio.stop());
    }
    if (f.backupMx) {
      const b = await startSink(s.dir, backup(i), port);
      s.defer(() => b.stop());
    }
    scopes.push(`[domain."${f.name}.test"]\nremote_port = ${port}\n${f.scope ?? ''}`);
  }
  const toml = testConfig({
    listenPort: s.listenPort,
    dnsServer: s.dns.server,
    remotePort: s.mxPort,
    // idle_timeout equal to retry_interval: a retried job's demand lands as idle connections time out
    // and QUIT, which must still get it a connection.
    global: 'retry_interval = "1s"\nmax_retry_interval = "1s"\nconnect_timeout = "1s"\nidle_timeout = "1s"',
    extra: `${scopes.join('\n\n')}`,
  });
  const started = Date.now();
  const petrel = await startPetrel(join(s.dir, 'petrel'), toml, s.listenPort);
  s.defer(() => petrel.stop());

  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: s.listenPort,
    secure: false,
    ignoreTLS: true,
  });
  for (const f of FAULTS) {
    const info = await transport.sendMail({
      from: 'sender@ok.test',
      to: `user@${f.name}.test`,
      subject: f.name,
      messageId: `<${f.name}@faults.test>`,
      text: `fault ${f.name}\n`,
    });
    assert.match(info.response, /^250 /);
  }
  transport.close();

  const forCase = (ev: EventRecord[], f: Fault): EventRecord[] =>
    ev.filter((e) => e.recipient === `user@${f.name}.test`);
  const done = (ev: EventRecord[], f: Fault): boolean => {
    const mine = forCase(ev, f);
    if (f.expect === 'delivered') return mine.some((e) => e.type === 'delivery');
    if (f.expect === 'permanent')
      return (
        mine.some((e) => e.type === 'permanent_failure') &&
        ev.some((e) => e.type === 'bounce' && e.recipient === `user@${f.name}.test`)
      );
    return mine.filter((e) => e.type === 'transient_failure').length >= 2;
  };
  await petrel.waitForEvents('every fault case to reach its outcome', (ev) => FAULTS.every((f) => done(ev, f)), 40_000);
  const ev = petrel.events();
  const rows: Record<string, string> = {};
  for (const [i, f] of FAULTS.entries()) {
    const mine = forCase(ev, f);
    const outcome = mine.find(
      (e) =>
        e.type ===
        (f.expect === 'delivered' ? 'delivery' : f.expect === 'permanent' ? 'permanent_failure' : 'transient_failure'),
    )!;
    rows[f.name] = `${f.expect}: ${String(outcome.reply)}`;
    assert.match(String(outcome.reply), f.reply, `${f.name}: reply`);
    if (f.expect === 'transient') {
      const attempts = mine.filter((e) => e.type === 'transient_failure').map((e) => e.attempt);
      assert.deepEqual(attempts.slice(0, 2), [1, 2], `${f.name}: retried`);
      assert.ok(!mine.some((e) => e.type === 'delivery' || e.type === 'permanent_failure'), `${f.name}: nothing final`);
    }
    if (f.expect === 'permanent') assert.ok(!mine.some((e) => e.type === 'delivery'), `${f.name}: not delivered`);
    if (f.backupMx) assert.equal(outcome.remote_ip, backup(i), `${f.name}: delivered by the second MX`);
  }
  // Every permanent case produced a DSN that reached the sender's MX.
  const permanent = FAULTS.filter((f) => f.expect === 'permanent').length;
  await waitFor(`${permanent} DSNs at the sender's MX`, () => okSink.messages().length >= permanent, 15_000);
  figures('destination-faults', {
    cases: FAULTS.length,
    transient: FAULTS.filter((f) => f.expect === 'transient').length,
    permanent,
    delivered: FAULTS.filter((f) => f.expect === 'delivered').length,
    dsnsAtSender: okSink.messages().length,
    seconds: Math.round((Date.now() - started) / 1000),
    outcomes: rows,
  });
});
