/** Assignment from [[binding_rule]] tables: each match key, first match wins, groups by weight, the header rules. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeliveryJob, MessageEnvelope, MessageRouted } from '@petrel/core';
import { contextFrom } from '../context-fixture.js';
import type { DnsClient } from '../dns/dns-client.js';
import { RoutingService } from '../routing-service.js';
import { Assigner } from './assigner.js';
import { rulesFromConfig } from './config-rules.js';

const noDns: DnsClient = {
  resolveMx: () => Promise.reject(new Error('unexpected MX query')),
  resolve4: () => Promise.reject(new Error('unexpected A query')),
  resolve6: () => Promise.reject(new Error('unexpected AAAA query')),
};

const BINDINGS = `
[binding_group.bulk.binding.b1]
bind_address = "127.0.0.2"
weight = 1
[binding_group.bulk.binding.b2]
bind_address = "127.0.0.3"
weight = 3
[binding.tx]
bind_address = "127.0.0.4"
[binding.news]
bind_address = "127.0.0.5"
`;

const RULES = `${BINDINGS}
[[binding_rule]]
auth_user = "alice"
binding = "tx"
[[binding_rule]]
client_network = ["10.1.0.0/16"]
recipient_domain = "/\\\\.corp\\\\.test$/"
binding = "tx"
[[binding_rule]]
sender_domain = "News.Test"
binding = "news"
[[binding_rule]]
recipient_domain = "bulk.test"
binding_group = "bulk"
`;

function env(sender: string, client?: MessageEnvelope['client']): MessageEnvelope {
  return { id: 'M1', sender, recipients: [], receivedAt: 0, size: 1, protocol: 'esmtp', ...(client ? { client } : {}) };
}

function assigner(toml: string, random: () => number = Math.random): Assigner {
  const { config } = contextFrom(toml);
  return new Assigner({
    scopes: config.delivery,
    rules: rulesFromConfig(config),
    weightOf: (b) => config.bindingWeights.get(b) ?? 1,
    random,
  });
}

test('each match key selects its binding; every key of a rule must match; else default', () => {
  const a = assigner(RULES);
  const pick = (e: MessageEnvelope, domain: string): string => a.assign({ envelope: e, domain }).binding;
  assert.equal(pick(env('x@a.test', { address: '127.0.0.1', authUser: 'alice' }), 'any.test'), 'tx');
  assert.equal(pick(env('x@a.test', { address: '10.1.2.3' }), 'mail.corp.test'), 'tx');
  assert.equal(
    pick(env('x@a.test', { address: '10.1.2.3' }), 'other.test'),
    'default',
    'client_network alone is not enough',
  );
  assert.equal(pick(env('x@news.test'), 'any.test'), 'news', 'sender domain is case-insensitive');
  assert.equal(pick(env(''), 'any.test'), 'default', 'the null sender matches no sender_domain');
  assert.equal(
    pick(env('x@news.test', { address: '127.0.0.1', authUser: 'alice' }), 'any.test'),
    'tx',
    'first match wins',
  );
  assert.match(
    a.assign({ envelope: env('x@news.test'), domain: 'any.test' }).reason,
    /^binding_rule 3 \(line \d+\): sender_domain = "News.Test" → binding "news"$/,
  );
});

test('a group result is a weighted random pick among its bindings', () => {
  const counts = { b1: 0, b2: 0 } as Record<string, number>;
  for (let i = 0; i < 100; i++)
    counts[assigner(RULES, () => i / 100).assign({ envelope: env('x@a.test'), domain: 'bulk.test' }).binding]! += 1;
  assert.deepEqual(counts, { b1: 25, b2: 75 });
});

test('header rules take the binding or group named by the header; unknown names fall through', () => {
  const a = assigner(
    `${BINDINGS}
[routing]
allow_binding_header = true
[[binding_rule]]
header = "X-Binding"
[[binding_rule]]
header = "X-Binding-Group"
`,
    () => 0,
  );
  const with_ = (h: Record<string, string>) => (name: string) => h[name];
  assert.equal(
    a.assign({ envelope: env('x@a.test'), domain: 'd.test', header: with_({ 'X-Binding': 'news' }) }).binding,
    'news',
  );
  assert.equal(
    a.assign({
      envelope: env('x@a.test'),
      domain: 'd.test',
      header: with_({ 'X-Binding': 'ghost', 'X-Binding-Group': 'bulk' }),
    }).binding,
    'b1',
  );
  assert.equal(a.assign({ envelope: env('x@a.test'), domain: 'd.test', header: with_({}) }).binding, 'default');
});

function job(over: Partial<DeliveryJob>): DeliveryJob {
  return {
    id: 'M9/default/bulk.test/0',
    messageId: 'M9',
    sender: 'x@a.test',
    binding: 'default',
    bindingGroup: 'default',
    domain: 'bulk.test',
    recipients: [],
    size: 1,
    receivedAt: 0,
    attempts: 1,
    nextAttemptAt: 0,
    ...over,
  };
}

test('routing reads the header block only when header rules exist, and marks the binding headers for stripping', async () => {
  const ctx = contextFrom(
    `${BINDINGS}\n[routing]\nallow_binding_header = true\n[[binding_rule]]\nheader = "X-Binding"\n`,
  );
  const svc = new RoutingService(ctx, { dns: noDns });
  const asked: string[] = [];
  ctx.bus.handle('spool.body', ({ id }) => {
    asked.push(id);
    return Buffer.from('Subject: hi\r\nX-Binding:\r\n news\r\n\r\nX-Binding: tx\r\n');
  });
  const routed = new Promise<MessageRouted>((r) => ctx.bus.subscribe('message.routed', r));
  await svc.start();
  ctx.bus.publish('message.spooled', {
    envelope: { ...env('x@a.test', { address: '127.0.0.1' }), recipients: [{ address: 'r@d.test', domain: 'd.test' }] },
    recovered: false,
  });
  const jobs = (await routed).jobs;
  assert.deepEqual(asked, ['M1']);
  assert.equal(jobs[0]!.binding, 'news', 'folded header value, and a body line is not a header');
  assert.deepEqual(jobs[0]!.stripHeaders, ['X-Binding', 'X-Binding-Group']);
  assert.deepEqual(jobs[0]!.client, { address: '127.0.0.1' });
  await svc.stop();
});

test('routing.assign re-runs assignment for a queued job, client rules included', async () => {
  const ctx = contextFrom(RULES);
  const svc = new RoutingService(ctx, { dns: noDns, random: () => 0.9 });
  await svc.start();
  assert.deepEqual(await ctx.bus.request('routing.assign', { job: job({}) }), { binding: 'b2', bindingGroup: 'bulk' });
  assert.deepEqual(
    await ctx.bus.request('routing.assign', {
      job: job({ domain: 'x.test', client: { address: '127.0.0.1', authUser: 'alice' } }),
    }),
    { binding: 'tx', bindingGroup: 'default' },
  );
  assert.deepEqual(await ctx.bus.request('routing.assign', { job: job({ domain: 'x.test' }) }), {
    binding: 'default',
    bindingGroup: 'default',
  });
  await svc.stop();
});
