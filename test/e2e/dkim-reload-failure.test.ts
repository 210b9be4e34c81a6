import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startAio, waitFor } from '@petrel/testkit';
import { scenario } from '../lib/scenario.js';
import { swaksVia } from '../lib/submit.js';
import { scenarioConfig, startScenarioPetrel } from '../lib/petrel.js';
import { petrelCli, petrelJson } from '../lib/cli.js';
import { deliveredMessage, dkimpyVerify, keygen, mailauthVerify } from '../lib/dkim.js';

const WITH_FROM = 'From: a@test.local\r\nTo: b@example.test\r\nSubject: hello\r\n\r\nsigned mail\r\n';
const NO_FROM = 'To: b@example.test\r\nSubject: no author\r\n\r\nunsignable mail\r\n';

test('unsignable mail follows on_failure; config reload rotates the key and the failure policy without a restart', async (t) => {
  const s = await scenario(t);
  const sink = s.stopAfter(await startAio(s.dir, '127.0.0.2', s.mxPort));
  const keys = join(s.dir, 'keys');
  mkdirSync(keys);
  const k1 = await keygen(join(keys, 'k1.pem'), 'test.local', 's1', 'ed25519');
  const k2 = await keygen(join(keys, 'k2.pem'), 'test.local', 's2', 'rsa');
  chmodSync(k1.keyFile, 0o640);
  const records = { [k1.name]: k1.record, [k2.name]: k2.record };
  const config = (key: string, selector: string, onFailure: string): string =>
    scenarioConfig(s, {
      extra: `[[dkim]]\ndomain = "test.local"\nselector = "${selector}"\nkey_file = "${key}"\n[dkim_options]\non_failure = "${onFailure}"\n`,
    });
  const petrel = await startScenarioPetrel(s, config(k1.keyFile, 's1', 'send_unsigned'));
  assert.match(petrel.output(), /k1\.pem: the DKIM private key is readable by its group \(mode 640\)/);

  const send = async (data: string): Promise<string> => {
    const file = join(s.dir, `m${Date.now()}.eml`);
    writeFileSync(file, data);
    const r = await swaksVia(s.listenPort, 'a@test.local', 'b@example.test', ['--data', `@${file}`]);
    return r.out;
  };
  const delivered = async (n: number): Promise<Buffer> =>
    deliveredMessage(await waitFor(`message ${n} at the sink`, () => sink.messages()[n - 1]));

  // send_unsigned: accepted and delivered without a signature, and logged.
  assert.match(await send(NO_FROM), /^<- +250 2\.0\.0 Ok: queued/m);
  const unsigned = await delivered(1);
  assert.doesNotMatch(unsigned.toString('latin1'), /DKIM-Signature/);
  await waitFor('the unsignable warning in the log', () =>
    /message cannot be DKIM-signed; sent unsigned/.test(petrel.output()) ? true : undefined,
  );
  assert.match(await send(WITH_FROM), /^<- +250 /m);
  const first = await delivered(2);
  assert.match(first.toString('latin1'), /^DKIM-Signature: v=1; a=ed25519-sha256;[\s\S]* s=s1;/);
  assert.deepEqual(await dkimpyVerify(s.dir, first, records), [true]);

  // Rotation: the new key and selector, and tempfail, by reload.
  writeFileSync(petrel.configFile, config(k2.keyFile, 's2', 'tempfail'));
  const r = await petrelJson<{ applied: string[] }>(petrel, ['config', 'reload']);
  assert.deepEqual(r.applied, ['dkim', 'dkim_options']);
  assert.match(await send(WITH_FROM), /^<- +250 /m);
  const second = await delivered(3);
  assert.match(second.toString('latin1'), /^DKIM-Signature: v=1; a=rsa-sha256;[\s\S]* s=s2;/);
  assert.deepEqual(await mailauthVerify(second, records), ['pass']);
  assert.match(
    await send(NO_FROM),
    /^<\*\* +451 4\.7\.5 Error: message cannot be DKIM-signed: the message has no From: header field/m,
  );

  // A malformed key on reload is refused naming the file; the running key stays.
  const bad = join(keys, 'bad.pem');
  writeFileSync(bad, '-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n', { mode: 0o600 });
  writeFileSync(petrel.configFile, config(bad, 's3', 'tempfail'));
  const refused = await petrelCli(petrel, ['config', 'reload']);
  assert.equal(refused.code, 1, refused.stdout + refused.stderr);
  assert.match(
    refused.stderr,
    new RegExp(`petrel\\.toml:\\d+: dkim\\[1\\]\\.key_file: ${bad}: expected a PEM private key`),
  );
  assert.match(await send(WITH_FROM), /^<- +250 /m);
  assert.match((await delivered(4)).toString('latin1'), /s=s2;/);
  assert.equal(sink.messages().length, 4, 'the tempfailed message was not delivered');
});
