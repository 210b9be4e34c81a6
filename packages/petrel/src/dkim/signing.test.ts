import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, parseConfig, silentLogger, type MessageEnvelope, type PetrelConfig } from '@petrel/core';
import { generateKey } from '@petrel/dkim';
import type { SignRequest } from '@petrel/listener';
import { PolicyMetrics, PolicySet, type Policy } from '@petrel/policy';
import { CONFIG_EXTENSIONS } from '../config.js';
import { dkimSignerSource } from './signing.js';

const session = { connectionId: 'c', client: { address: '127.0.0.1', port: 1 }, esmtp: true, tls: false };

function setup(t: { after(fn: () => void): void }, toml: string): PetrelConfig {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-signing-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'a.pem'), generateKey('ed25519'), { mode: 0o600 });
  writeFileSync(join(dir, 'b.pem'), generateKey('ed25519'), { mode: 0o600 });
  return parseConfig(toml, join(dir, 'petrel.toml'), { extensions: CONFIG_EXTENSIONS });
}

const KEYS = `
[binding_group.bulk.binding.b1]
[[binding_rule]]
sender_domain = "news.shop.example"
binding_group = "bulk"
[[dkim]]
domain = "shop.example"
selector = "a"
key_file = "a.pem"
[[dkim]]
domain = "esp.example"
selector = "bulk"
key_file = "b.pem"
match = "all"
binding_groups = ["bulk"]
`;

function request(sender: string, data: string): SignRequest {
  const envelope: MessageEnvelope = {
    id: 'M1',
    sender,
    recipients: [{ address: 'x@dest.example', domain: 'dest.example' }],
    receivedAt: 0,
    size: data.length,
    protocol: 'esmtp',
  };
  return { session, envelope, body: Buffer.from(data.replace(/\n/g, '\r\n')) };
}

function signer(config: PetrelConfig, policy: Policy = {}) {
  const set = new PolicySet([{ name: 'p.mjs', file: '/p.mjs', policy, timeoutMs: 1000 }], {
    logger: silentLogger(),
    metrics: new PolicyMetrics(),
  });
  const source = dkimSignerSource({
    config: () => config,
    logger: silentLogger(),
    clock: new ManualClock(0),
    policy: () => set,
  });
  return source()!;
}

const selectors = (r: unknown): string[] =>
  [...String((r as { prepend?: string } | undefined)?.prepend ?? '').matchAll(/\ss=([^;]+);/g)].map((m) => m[1]!);

test('keys follow the From: domain and the binding group the rules give the message', async (t) => {
  const c = setup(t, KEYS);
  const sign = signer(c);
  assert.deepEqual(selectors(await sign(request('a@shop.example', 'From: a@shop.example\n\nhi\n'))), ['a']);
  assert.deepEqual(selectors(await sign(request('a@news.shop.example', 'From: a@shop.example\n\nhi\n'))), [
    'a',
    'bulk',
  ]);
  assert.equal(await sign(request('a@other.example', 'From: a@other.example\n\nhi\n')), undefined);
});

test('the dkimSign policy hook chooses or skips keys per message; an unknown key answers 451 4.3.0', async (t) => {
  const c = setup(t, KEYS);
  const seen: string[][] = [];
  const sign = signer(c, {
    dkimSign: (ctx) => {
      seen.push(ctx.keys.map((k) => k.selector));
      if (ctx.headers.get('X-No-Sign') !== undefined) return [];
      if (ctx.headers.get('X-Bad') !== undefined) return [{ domain: 'nope.example', selector: 'x' }];
      return ctx.available.filter((k) => k.selector === 'bulk');
    },
  });
  assert.deepEqual(selectors(await sign(request('a@shop.example', 'From: a@shop.example\n\nhi\n'))), ['bulk']);
  assert.deepEqual(seen[0], ['a'], 'the hook sees the configured choice');
  assert.equal(await sign(request('a@shop.example', 'From: a@shop.example\nX-No-Sign: 1\n\nhi\n')), undefined);
  const bad = (await sign(request('a@shop.example', 'From: a@shop.example\nX-Bad: 1\n\nhi\n'))) as {
    reply?: { code: number; enhanced?: string };
  };
  assert.equal(bad.reply?.code, 451);
  assert.equal(bad.reply?.enhanced, '4.3.0');
});

test('no From: is logged and sent unsigned, or answered 451 4.7.5 with on_failure = "tempfail"', async (t) => {
  const c = setup(t, KEYS);
  assert.equal(await signer(c)(request('a@shop.example', 'To: x@dest.example\n\nhi\n')), undefined);
  const strict = setup(t, `${KEYS}\n[dkim_options]\non_failure = "tempfail"\n`);
  const r = (await signer(strict)(request('a@shop.example', 'To: x@dest.example\n\nhi\n'))) as {
    reply: { code: number; enhanced?: string; lines: string[] };
  };
  assert.equal(r.reply.code, 451);
  assert.equal(r.reply.enhanced, '4.7.5');
  assert.match(r.reply.lines[0]!, /no From: header field/);
});

test('no [[dkim]] keys: no signer at all (unsigned relaying pays nothing)', (t) => {
  const c = setup(t, '');
  const source = dkimSignerSource({
    config: () => c,
    logger: silentLogger(),
    clock: new ManualClock(0),
    policy: () => new PolicySet([], { logger: silentLogger(), metrics: new PolicyMetrics() }),
  });
  assert.equal(source(), undefined);
});
