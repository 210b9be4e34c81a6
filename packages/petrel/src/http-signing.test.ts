import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, parseConfig, silentLogger, type MessageEnvelope } from '@petrel/core';
import { generateKey } from '@petrel/dkim';
import { PolicyMetrics, PolicySet } from '@petrel/policy';
import { CONFIG_EXTENSIONS } from './config.js';
import { dkimSignerSource } from './dkim/signing.js';
import { httpReception } from './http-signing.js';

function reception(t: { after(fn: () => void): void }, onFailure: string) {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-http-signing-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'k.pem'), generateKey('ed25519'), { mode: 0o600 });
  writeFileSync(join(dir, 'g.pem'), generateKey('ed25519'), { mode: 0o600 });
  const toml = `[binding_group.bulk.binding.b1]
[dkim_options]
on_failure = "${onFailure}"
[[dkim]]
domain = "shop.example"
selector = "k"
key_file = "k.pem"
[[dkim]]
domain = "esp.example"
selector = "pinned"
key_file = "g.pem"
match = "all"
binding_groups = ["bulk"]
`;
  const config = parseConfig(toml, join(dir, 'petrel.toml'), { extensions: CONFIG_EXTENSIONS });
  const set = new PolicySet([], { logger: silentLogger(), metrics: new PolicyMetrics() });
  const signer = dkimSignerSource({
    config: () => config,
    logger: silentLogger(),
    clock: new ManualClock(0),
    policy: () => set,
  });
  return httpReception(signer);
}

const envelope = (bindingGroup?: string): MessageEnvelope => ({
  id: 'H1',
  sender: 'b@shop.example',
  recipients: [{ address: 'x@dest.example', domain: 'dest.example' }],
  receivedAt: 0,
  size: 0,
  protocol: 'http',
  client: { address: '127.0.0.1', port: 1, authUser: 'app' },
  ...(bindingGroup ? { bindingGroup } : {}),
});

const selectors = (b: unknown): string[] =>
  [...(Buffer.isBuffer(b) ? b.toString() : '').matchAll(/^DKIM-Signature:[\s\S]*?\ss=([^;]+);/gm)].map((m) => m[1]!);

test('HTTP-injected mail is DKIM-signed like SMTP mail, a pinned group choosing its group keys', async (t) => {
  const receive = reception(t, 'send_unsigned');
  const body = Buffer.from('From: news@shop.example\r\nSubject: x\r\n\r\nhi\r\n');
  const plain = await receive({ envelope: envelope(), body, tls: false });
  assert.deepEqual(selectors(plain), ['k']);
  assert.ok((plain as Buffer).subarray(-body.length).equals(body), 'the signature fields are prepended');
  assert.deepEqual(selectors(await receive({ envelope: envelope('bulk'), body, tls: true })).sort(), ['k', 'pinned']);
});

test('a message the signer refuses is refused at the HTTP API with the signer reply', async (t) => {
  const receive = reception(t, 'tempfail');
  const r = await receive({ envelope: envelope(), body: Buffer.from('Subject: no From\r\n\r\nhi\r\n'), tls: false });
  assert.ok(!Buffer.isBuffer(r));
  assert.equal(r.refuse.code, 451);
  assert.equal(r.refuse.enhanced, '4.7.5');
});
