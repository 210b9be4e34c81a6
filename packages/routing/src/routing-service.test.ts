import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MessageEnvelope, MessageRouted, ServiceContext } from '@petrel/core';
import { contextFrom } from './context-fixture.js';
import type { DnsClient } from './dns/dns-client.js';
import { RoutingService } from './routing-service.js';

/** Routing of spooled mail needs no DNS; any query here is a bug. */
const noDns: DnsClient = {
  resolveMx: () => Promise.reject(new Error('unexpected MX query')),
  resolve4: () => Promise.reject(new Error('unexpected A query')),
  resolve6: () => Promise.reject(new Error('unexpected AAAA query')),
};

const TOML = `
[global]
max_recipients_per_batch = 2
[domain."big.test"]
max_recipients_per_batch = 10
`;

function envelope(addresses: string[]): MessageEnvelope {
  return {
    id: 'M1',
    sender: 's@src.test',
    recipients: addresses.map((address) => ({ address, domain: address.split('@')[1]! })),
    receivedAt: 1,
    size: 100,
    protocol: 'esmtp',
  };
}

async function started(
  ctx: ServiceContext = contextFrom(TOML),
): Promise<{ svc: RoutingService; routed: MessageRouted[]; ctx: ServiceContext }> {
  const svc = new RoutingService(ctx, { dns: noDns });
  const routed: MessageRouted[] = [];
  ctx.bus.subscribe('message.routed', (e) => void routed.push(e));
  await svc.start();
  return { svc, routed, ctx };
}

test('message.spooled becomes message.routed with jobs split by domain and by max_recipients_per_batch', async () => {
  const { svc, routed, ctx } = await started();
  const env = envelope([
    '1@a.test',
    '2@a.test',
    '3@a.test',
    '4@a.test',
    '5@a.test',
    '1@big.test',
    '2@big.test',
    '3@big.test',
  ]);
  ctx.bus.publish('message.spooled', { envelope: env, recovered: false });
  await svc.stop();
  assert.equal(routed.length, 1);
  const event = routed[0]!;
  assert.equal(event.envelope, env);
  assert.equal(event.recovered, false);
  assert.deepEqual(
    event.jobs.map((j) => `${j.id}:${j.recipients.length}`),
    ['M1/default/a.test/0:2', 'M1/default/a.test/1:2', 'M1/default/a.test/2:1', 'M1/default/big.test/0:3'],
  );
});

test('recovered pending state is carried into the routed jobs', async () => {
  const { svc, routed, ctx } = await started();
  const reply = {
    code: 421,
    enhanced: '4.4.0',
    lines: ['[internal] no MXs for this domain could be reached at this time'],
  };
  ctx.bus.publish('message.spooled', {
    envelope: envelope(['1@a.test', '2@a.test', '3@a.test']),
    recovered: true,
    pending: [
      { index: 0, attempts: 3, nextAttemptAt: 99_000, lastReply: reply },
      { index: 2, attempts: 3, nextAttemptAt: 99_000, lastReply: reply },
    ],
  });
  await svc.stop();
  assert.equal(routed[0]?.recovered, true);
  assert.deepEqual(
    routed[0]?.jobs.map((j) => ({
      idx: j.recipients.map((r) => r.index),
      attempts: j.attempts,
      at: j.nextAttemptAt,
      reply: j.lastReply,
    })),
    [{ idx: [0, 2], attempts: 3, at: 99_000, reply }],
  );
});

test('answers routing.route over the bus and stops answering after stop()', async () => {
  const { svc, ctx, routed } = await started(contextFrom('[domain."gw.test"]\ngateway = ["192.0.2.25:2525"]\n'));
  const route = await ctx.bus.request('routing.route', { binding: 'default', domain: 'gw.test' });
  assert.equal(route.kind === 'hosts' && `${route.hosts[0]?.address}:${route.port}`, '192.0.2.25:2525');
  await svc.stop();
  assert.equal(ctx.bus.hasHandler('routing.route'), false);
  ctx.bus.publish('message.spooled', { envelope: envelope(['x@a.test']), recovered: false });
  assert.equal(routed.length, 0);
});

test('refuses to start twice', async () => {
  const { svc } = await started();
  await assert.rejects(svc.start(), { code: 'PETREL_ERR_SERVICE_STATE' });
  await svc.stop();
});

test('after a config reload swaps ctx.config, routes, gateway and binding rules come from the new config', async () => {
  const first = contextFrom(`[binding.b1]\nbind_address = "127.0.0.1"\n`);
  let config = first.config;
  const ctx: ServiceContext = {
    ...first,
    get config() {
      return config;
    },
  };
  const { svc, routed } = await started(ctx);
  // Without routes a domain goes to DNS (here a failing client: the failure proves the MX path).
  assert.equal((await svc.route({ binding: 'default', domain: 'reload.test' })).kind, 'failure');
  config = contextFrom(
    `[binding.b1]\nbind_address = "127.0.0.1"\n[domain."reload.test"]\nroutes = ["smtp://127.0.0.9?port=2600"]\n[domain."gw.test"]\ngateway = ["127.0.0.8:2601"]\n[[binding_rule]]\nrecipient_domain = "gw.test"\nbinding = "b1"\n`,
  ).config;
  const r = await svc.route({ binding: 'default', domain: 'reload.test' });
  assert.deepEqual(r.kind === 'hosts' ? r.hosts.map((h) => h.address) : r, ['127.0.0.9']);
  const g = await svc.route({ binding: 'b1', domain: 'gw.test' });
  assert.deepEqual(g.kind === 'hosts' ? [g.hosts.map((h) => h.address), g.port, g.bindAddress] : g, [
    ['127.0.0.8'],
    2601,
    '127.0.0.1',
  ]);
  ctx.bus.publish('message.spooled', { envelope: envelope(['a@gw.test']), recovered: false });
  assert.equal(routed[0]?.jobs[0]?.binding, 'b1', 'the binding rule of the new config assigns');
});
