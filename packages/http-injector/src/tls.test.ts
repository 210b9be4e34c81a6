import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { tempCert } from '@petrel/testkit';
import { startInjector } from './test-support.js';

test('with tls_certificate and tls_key the API speaks HTTPS, and the trace header says so', async (t) => {
  const cert = tempCert('localhost');
  t.after(() => cert.remove());
  const h = await startInjector({
    http: [`tls_certificate = ${JSON.stringify(cert.cert)}`, `tls_key = ${JSON.stringify(cert.key)}`],
  });
  t.after(() => h.close());
  const url = h.url.replace('http:', 'https:');
  const body = JSON.stringify({
    sender: 's@shop.test',
    recipients: ['a@a.test'],
    content: { from: 's@shop.test', subject: 'x', text: 'y' },
  });
  const status = await new Promise<number | undefined>((resolve, reject) => {
    const req = request(
      `${url}/v1/inject`,
      {
        method: 'POST',
        ca: cert.pem,
        servername: 'localhost',
        headers: { authorization: `Bearer ${h.tokens.app}`, 'content-type': 'application/json' },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
  assert.equal(status, 201);
  assert.match(h.stored[0]!.body.toString(), /\(Petrel\) with HTTPS id /);
  const plain = await fetch(`${h.url}/v1/openapi.json`).then(
    () => 'answered',
    () => 'refused',
  );
  assert.equal(plain, 'refused', 'no plain HTTP on the TLS address');
});
