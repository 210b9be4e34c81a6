/** Destination policy applied to routes: prohibited_hosts, use_ipv6 / prefer_ipv6, remote_port, gateway AUTH. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { formatReply, type Route } from '@petrel/core';
import { contextFrom } from '../context-fixture.js';
import { RoutingService } from '../routing-service.js';
import { startDnsmasq, type Dnsmasq } from '@petrel/testkit';

let dns: Dnsmasq;
before(async () => {
  dns = await startDnsmasq(['mx-host=dual.test,dual-mx.dual.test,10', 'host-record=dual-mx.dual.test,127.0.0.11,::1']);
});
after(async () => {
  await dns?.stop();
});

function svc(extra: string): RoutingService {
  return new RoutingService(
    contextFrom(`hostname = "petrel.test"\n[dns]\nservers = ["${dns.server}"]\ntimeout = "500ms"\ntries = 1\n${extra}`),
  );
}

function hosts(route: Route): string[] {
  assert.equal(route.kind, 'hosts', route.kind === 'failure' ? formatReply(route.reply) : '');
  return route.kind === 'hosts' ? route.hosts.map((h) => h.address) : [];
}

test('IPv6 hosts are ignored by default (use_ipv6 = false) for an unbound binding', async () => {
  assert.deepEqual(hosts(await svc('').route({ binding: 'default', domain: 'dual.test' })), ['127.0.0.11']);
});

test('use_ipv6 adds AAAA hosts after IPv4, prefer_ipv6 puts them first within the preference level', async () => {
  assert.deepEqual(hosts(await svc('[global]\nuse_ipv6 = true').route({ binding: 'default', domain: 'dual.test' })), [
    '127.0.0.11',
    '::1',
  ]);
  const preferred = await svc('[global]\nuse_ipv6 = true\nprefer_ipv6 = true').route({
    binding: 'default',
    domain: 'dual.test',
  });
  assert.deepEqual(hosts(preferred), ['::1', '127.0.0.11']);
});

test('prohibited_hosts removes matching hosts and keeps the others', async () => {
  const s = svc('[global]\nprohibited_hosts = ["127.0.0.2"]');
  assert.deepEqual(hosts(await s.route({ binding: 'default', domain: 'example.test' })), ['127.0.0.3']);
  const explained = await s.explainRoute('default', 'example.test');
  assert.deepEqual(explained.prohibited, ['127.0.0.2']);
});

test('a route whose every host is prohibited fails permanently with 551 5.4.6 Private/Loopback Address', async () => {
  const route = await svc('[domain."example.test"]\nprohibited_hosts = ["127.0.0.0/8"]').route({
    binding: 'default',
    domain: 'example.test',
  });
  assert.equal(route.kind, 'failure');
  assert.equal(route.kind === 'failure' && route.permanent, true);
  assert.equal(route.kind === 'failure' && formatReply(route.reply), '551 5.4.6 [internal] Private/Loopback Address');
});

test('remote_port comes from the most specific scope', async () => {
  const s = svc(
    '[global]\nremote_port = 2525\n[binding.b1]\nbind_address = "127.0.0.1"\n[binding.b1.domain."example.test"]\nremote_port = 2600',
  );
  const a = await s.route({ binding: 'b1', domain: 'example.test' });
  const b = await s.route({ binding: 'default', domain: 'example.test' });
  assert.equal(a.kind === 'hosts' && a.port, 2600);
  assert.equal(b.kind === 'hosts' && b.port, 2525);
});

test('a gateway route carries the configured AUTH credentials; MX routes never do', async () => {
  const s = svc(
    '[domain."relay.test"]\ngateway = ["127.0.0.7:2600"]\ngateway_auth_user = "u"\ngateway_auth_password = "p"\n[global]\ngateway_auth_user = "g"\ngateway_auth_password = "gp"',
  );
  const gw = await s.route({ binding: 'default', domain: 'relay.test' });
  assert.deepEqual(gw.kind === 'hosts' && gw.auth, { user: 'u', pass: 'p' });
  assert.equal(gw.kind === 'hosts' && gw.gateway, true);
  const mx = await s.route({ binding: 'default', domain: 'example.test' });
  assert.equal(mx.kind === 'hosts' && mx.auth, undefined);
});
