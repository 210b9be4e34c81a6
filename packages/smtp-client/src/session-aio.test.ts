/**
 * SmtpSession against aio-server.py (aiosmtpd): per-recipient outcomes, the body as received,
 * STARTTLS and AUTH.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SmtpSessionError } from './errors.js';
import { SmtpSession } from './session.js';
import { options, tempDir } from './fixtures.js';
import { startAioServer, tempCert } from '@petrel/testkit';

test('one transaction with ok, hard* and soft* recipients gives delivered, permanent and transient', async () => {
  const aio = await startAioServer();
  try {
    const s = await SmtpSession.open(options(aio.port));
    const r = await s.send({
      sender: 'a@client.test',
      recipients: [{ address: 'ok@x.test' }, { address: 'hard1@x.test' }, { address: 'soft1@x.test' }],
      body: Buffer.from('Subject: mixed\r\n\r\nhi\r\n'),
    });
    assert.deepEqual(
      r.recipients.map((x) => [x.address, x.status, x.reply.code, x.reply.enhanced, x.stage]),
      [
        ['ok@x.test', 'delivered', 250, '2.0.0', 9],
        ['hard1@x.test', 'permanent', 550, '5.1.1', 4],
        ['soft1@x.test', 'transient', 451, '4.3.0', 4],
      ],
    );
    await s.quit();
  } finally {
    await aio.stop();
  }
});

test('a body with lines starting with "." arrives unstuffed, byte for byte', async () => {
  const dump = tempDir();
  const aio = await startAioServer(['--dump', dump.dir]);
  try {
    const body = Buffer.from('Subject: dots\r\n\r\n.leading\r\n..two\r\n.\r\nend\r\n');
    const s = await SmtpSession.open(options(aio.port));
    const r = await s.send({ sender: 'a@client.test', recipients: [{ address: 'ok@x.test' }], body });
    assert.equal(r.recipients[0]!.status, 'delivered');
    await s.quit();
    const files = readdirSync(dump.dir);
    assert.equal(files.length, 1);
    const got = readFileSync(join(dump.dir, files[0]!));
    const at = got.indexOf('Subject: dots');
    assert.ok(at >= 0);
    assert.deepEqual(got.subarray(at), body);
  } finally {
    await aio.stop();
    dump.remove();
  }
});

test('STARTTLS under ifavailable upgrades, verifies the host name and re-reads EHLO', async () => {
  const cert = tempCert('localhost');
  const aio = await startAioServer(['--tls', cert.cert, cert.key]);
  try {
    const transcript: string[] = [];
    const s = await SmtpSession.open(
      options(aio.port, {
        tls: 'ifavailable',
        tlsVerify: 'host',
        hostname: 'localhost',
        tlsCa: cert.pem,
        onTranscript: (d, l) => transcript.push(`${d} ${l}`),
      }),
    );
    assert.ok(s.tls && /^TLSv1\.[23]$/.test(s.tls.protocol));
    assert.equal(s.capabilities.has('STARTTLS'), false); // RFC 3207 §4.2: the second EHLO does not offer it again
    assert.equal(transcript.filter((l) => l.startsWith('c EHLO')).length, 2);
    const r = await s.send({
      sender: 'a@client.test',
      recipients: [{ address: 'ok@x.test' }],
      body: Buffer.from('x\r\n'),
    });
    assert.equal(r.recipients[0]!.status, 'delivered');
    await s.quit();
  } finally {
    await aio.stop();
    cert.remove();
  }
});

test('a certificate that does not match the host fails required TLS with 451 4.7.5, and ifavailable falls back to plaintext', async () => {
  const cert = tempCert('localhost');
  const aio = await startAioServer(['--tls', cert.cert, cert.key]);
  try {
    const strict = options(aio.port, { tls: 'required', tlsVerify: 'host', hostname: 'wrong.test', tlsCa: cert.pem });
    await assert.rejects(SmtpSession.open(strict), (err: SmtpSessionError) => {
      assert.equal(err.reply.toString(), '451 4.7.5 [internal] TLS negotiation failed');
      assert.equal(err.tryNextHost, true);
      return true;
    });
    const lax = await SmtpSession.open({ ...strict, tls: 'ifavailable' });
    assert.equal(lax.tls, undefined);
    const r = await lax.send({
      sender: 'a@client.test',
      recipients: [{ address: 'ok@x.test' }],
      body: Buffer.from('x\r\n'),
    });
    assert.equal(r.recipients[0]!.status, 'delivered');
    await lax.quit();
    await assert.rejects(
      SmtpSession.open({ ...strict, tls: 'ifavailable', tlsFallback: false }),
      (err: SmtpSessionError) => err.reply.code === 451,
    );
  } finally {
    await aio.stop();
    cert.remove();
  }
});

test('AUTH over TLS succeeds with the right password and 535 is kept, without tryNextHost, for a wrong one', async () => {
  const cert = tempCert('localhost');
  const aio = await startAioServer(['--tls', cert.cert, cert.key, '--auth', 'user:secret']);
  try {
    const base = options(aio.port, { tls: 'required' as const, tlsVerify: 'no' as const });
    const transcript: string[] = [];
    const ok = await SmtpSession.open({
      ...base,
      auth: { user: 'user', pass: 'secret' },
      onTranscript: (_d, l) => transcript.push(l),
    });
    assert.ok(transcript.includes('AUTH PLAIN ****'));
    assert.equal(
      transcript.some((l) => l.includes(Buffer.from('\0user\0secret').toString('base64'))),
      false,
    );
    const r = await ok.send({
      sender: 'a@client.test',
      recipients: [{ address: 'ok@x.test' }],
      body: Buffer.from('x\r\n'),
    });
    assert.equal(r.recipients[0]!.status, 'delivered');
    await ok.quit();
    await assert.rejects(
      SmtpSession.open({ ...base, auth: { user: 'user', pass: 'wrong' } }),
      (err: SmtpSessionError) => {
        assert.equal(err.reply.code, 535);
        assert.equal(err.tryNextHost, false);
        return true;
      },
    );
  } finally {
    await aio.stop();
    cert.remove();
  }
});
