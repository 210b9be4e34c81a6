import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { scenario } from '../lib/scenario.js';
import { submitWithSmtplib, startAio, startSink, writeCertificate } from '@petrel/testkit';
import { startScenarioPetrel } from '../lib/petrel.js';

test('tls = "required" with tls_verify against an MX whose certificate is not trusted: the deferral names the host, its IP and the cause', async (t) => {
  const s = await scenario(t, ['mx-host=tls.test,mx.tls.test,10', 'host-record=mx.tls.test,127.0.0.40']);
  // A self-signed certificate with the right name: only the trust chain is wrong.
  const certDir = join(s.dir, 'mx-cert');
  mkdirSync(certDir);
  const { cert, key } = writeCertificate(certDir, 'mx.tls.test');
  const mx = s.stopAfter(await startAio(s.dir, '127.0.0.40', s.mxPort, ['--tls', cert, key]));
  s.stopAfter(await startSink(s.dir, '127.0.0.2', s.mxPort));
  const petrel = await startScenarioPetrel(s, {
    global: 'retry_interval = "1h"',
    extra: '[domain."tls.test"]\ntls = "required"\ntls_verify = "ca"\n',
  });

  const id = await submitWithSmtplib(s.listenPort, {
    sender: 'sender@example.test',
    recipients: [['user@tls.test', []]],
    message: 'From: sender@example.test\r\nTo: user@tls.test\r\nSubject: tls\r\n\r\nhello\r\n',
  });
  const ev = await petrel.waitForEvents('the deferral', (e) =>
    e.some((x) => x.type === 'transient_failure' && x.message_id === id),
  );
  const d = ev.find((x) => x.type === 'transient_failure' && x.message_id === id)!;
  assert.deepEqual([d.remote_host, d.remote_ip], ['mx.tls.test', '127.0.0.40'], 'the host whose certificate failed');
  assert.match(
    d.reply!,
    /^451 4\.7\.5 \[internal\] TLS negotiation failed \(certificate not trusted: self[- ]signed certificate\)/,
  );
  assert.equal(d.stage, 17, 'handshaking TLS');
  assert.equal(mx.messages().length, 0, 'nothing was sent in plaintext');
});
