/**
 * SmtpSession under TLS policies (tls-auth.ts) against aiosmtpd with STARTTLS: MTA-STS enforce and
 * testing, DANE-EE; the verdict is reached before any command goes over the TLS channel.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import type { SmtpSessionError } from './errors.js';
import { SmtpSession } from './session.js';
import { options } from './fixtures.js';
import { startAioServer, tempCert } from '@petrel/testkit';

/** A self-signed certificate for "localhost" on aiosmtpd; run `fn`, then clean up. */
async function withServer(fn: (port: number, pem: string, spkiSha256: string) => Promise<void>): Promise<void> {
  const cert = tempCert('localhost');
  const aio = await startAioServer(['--tls', cert.cert, cert.key]);
  try {
    const spki = new X509Certificate(cert.pem).publicKey.export({ type: 'spki', format: 'der' });
    await fn(aio.port, cert.pem, createHash('sha256').update(spki).digest('hex'));
  } finally {
    await aio.stop();
    cert.remove();
  }
}

const BODY = { sender: 'a@client.test', recipients: [{ address: 'ok@x.test' }], body: Buffer.from('x\r\n') };

test('MTA-STS enforce: a trusted certificate for the MX name is accepted', async () => {
  await withServer(async (port, pem) => {
    const s = await SmtpSession.open(
      options(port, {
        tls: 'required',
        tlsVerify: 'no',
        hostname: 'localhost',
        tlsCa: pem,
        tlsAuth: { kind: 'mta-sts', name: 'localhost', enforce: true },
      }),
    );
    assert.deepEqual(s.tlsVerdict, { ok: true });
    assert.equal((await s.send(BODY)).recipients[0]!.status, 'delivered');
    await s.quit();
  });
});

test('MTA-STS enforce: an untrusted certificate or another name ends the session with 4.7.5 and its result type', async () => {
  await withServer(async (port, pem) => {
    const base = { tls: 'required' as const, tlsVerify: 'no' as const, hostname: 'localhost' };
    await assert.rejects(
      SmtpSession.open(options(port, { ...base, tlsAuth: { kind: 'mta-sts', name: 'localhost', enforce: true } })),
      (err: SmtpSessionError) =>
        err.reply.toString() === '451 4.7.5 [internal] TLS authentication failed' &&
        (err.cause as { code?: string }).code === 'certificate-not-trusted',
    );
    await assert.rejects(
      SmtpSession.open(
        options(port, { ...base, tlsCa: pem, tlsAuth: { kind: 'mta-sts', name: 'mx.other.test', enforce: true } }),
      ),
      (err: SmtpSessionError) => (err.cause as { code?: string }).code === 'certificate-host-mismatch',
    );
  });
});

test('MTA-STS testing: the failure is recorded and the session goes on, unless tls_verify itself refuses', async () => {
  await withServer(async (port, pem) => {
    const testing = { kind: 'mta-sts' as const, name: 'mx.other.test', enforce: false };
    const s = await SmtpSession.open(
      options(port, { tls: 'ifavailable', tlsVerify: 'no', hostname: 'localhost', tlsCa: pem, tlsAuth: testing }),
    );
    assert.equal(s.tlsVerdict?.ok === false && s.tlsVerdict.failure, 'certificate-host-mismatch');
    assert.ok(s.tls, 'still over TLS');
    assert.equal((await s.send(BODY)).recipients[0]!.status, 'delivered');
    await s.quit();
    // The operator's tls_verify = "host" is not weakened by a testing policy: the handshake fails.
    await assert.rejects(
      SmtpSession.open(
        options(port, {
          tls: 'required',
          tlsVerify: 'host',
          hostname: 'wrong.test',
          tlsCa: pem,
          tlsAuth: testing,
        }),
      ),
      (err: SmtpSessionError) => err.reply.code === 451,
    );
  });
});

test('DANE-EE: a matching SPKI record authenticates a self-signed certificate; a wrong one fails tlsa-invalid', async () => {
  await withServer(async (port, _pem, spki) => {
    const dane = (data: string) => ({
      kind: 'dane' as const,
      records: [{ usage: 3, selector: 1, matchingType: 1, data }],
      names: ['mx.d.test'],
    });
    const base = { tls: 'required' as const, tlsVerify: 'no' as const, hostname: 'mx.d.test' };
    const s = await SmtpSession.open(options(port, { ...base, tlsAuth: dane(spki) }));
    assert.deepEqual(s.tlsVerdict, { ok: true });
    await s.quit();
    await assert.rejects(
      SmtpSession.open(options(port, { ...base, tlsAuth: dane('00'.repeat(32)) })),
      (err: SmtpSessionError) => (err.cause as { code?: string }).code === 'tlsa-invalid',
    );
  });
});
