import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { scenario } from '../lib/scenario.js';
import { swaksVia } from '../lib/submit.js';
import { startScenarioPetrel } from '../lib/petrel.js';
import { startAio, startSink, freePort, writeCertificate } from '@petrel/testkit';

test('a smart host with AUTH (over STARTTLS) for one domain while other domains go by MX', async (t) => {
  const s = await scenario(t);
  const { cert, key } = writeCertificate(s.dir, 'smart.test');
  const gwPort = await freePort('127.0.0.7');
  const gateway = s.stopAfter(
    await startAio(s.dir, '127.0.0.7', gwPort, ['--tls', cert, key, '--auth', 'relayuser:relay-secret']),
  );
  const sink = s.stopAfter(await startSink(s.dir, '127.0.0.2', s.mxPort));
  const trace = join(s.dir, 'gateway-trace.log');
  const p = await startScenarioPetrel(s, {
    extra: `[domain."smart.test"]
gateway = ["127.0.0.7:${gwPort}"]
gateway_auth_user = "relayuser"
gateway_auth_password = "relay-secret"
tls = "required"
trace_file = "${trace}"
`,
  });

  for (const to of ['someone@smart.test', 'bob@example.test']) {
    const r = await swaksVia(s.listenPort, 'a@test.local', to);
    assert.equal(r.code, 0, r.out);
  }
  const ev = await p.waitForEvents('both deliveries', (e) => e.filter((x) => x.type === 'delivery').length === 2);
  const viaGateway = ev.find((x) => x.type === 'delivery' && x.recipient === 'someone@smart.test')!;
  const viaMx = ev.find((x) => x.type === 'delivery' && x.recipient === 'bob@example.test')!;
  assert.equal(viaGateway.remote_ip, '127.0.0.7');
  assert.equal(viaMx.remote_ip, '127.0.0.2');
  assert.equal(gateway.messages().length, 1);
  assert.match(gateway.messages()[0]!.toString(), /^X-Env-To: someone@smart\.test/m);
  assert.equal(sink.messages().length, 1);
  // The transcript shows STARTTLS, then AUTH accepted (235), with the secret masked.
  const transcript = readFileSync(trace, 'utf8');
  assert.match(transcript, /STARTTLS/);
  assert.match(transcript, /AUTH (PLAIN|LOGIN)/);
  assert.match(transcript, /\b235\b/);
  assert.ok(!transcript.includes('relay-secret'), 'no clear-text secret in the trace');
  assert.ok(
    !transcript.includes(Buffer.from('\0relayuser\0relay-secret').toString('base64')),
    'no AUTH PLAIN token in the trace',
  );
  assert.ok(
    !transcript.includes(Buffer.from('relay-secret').toString('base64')),
    'no AUTH LOGIN password in the trace',
  );
});
