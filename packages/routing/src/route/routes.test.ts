/** The `routes` option against a real DNS server (the private dnsmasq with the project's *.test zone). */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { formatReply, type Route } from '@petrel/core';
import { countingDns, contextFrom, dnsTestConfig } from '../context-fixture.js';
import { createDnsClient } from '../dns/dns-client.js';
import { RoutingService } from '../routing-service.js';
import { startDnsmasq, type Dnsmasq } from '@petrel/testkit';

const EXTRA_ZONE = ['mx-host=relay.test,mxr.relay.test,5', 'host-record=mxr.relay.test,127.0.0.12'];

let dns: Dnsmasq;
before(async () => {
  dns = await startDnsmasq(EXTRA_ZONE);
});
after(async () => {
  await dns?.stop();
});

/** A routing service over `extra` TOML; MX order is fixed (random = 0) where preferences tie. */
function service(extra: string): { svc: RoutingService; queries: ReturnType<typeof countingDns> } {
  const ctx = contextFrom(dnsTestConfig(dns.server, { rest: extra }));
  const queries = countingDns(createDnsClient(ctx.config.dns));
  return { svc: new RoutingService(ctx, { dns: queries }), queries };
}

/** "name address:port" per host, in the order to try. */
function hostsOf(route: Route): string[] {
  assert.equal(route.kind, 'hosts', route.kind === 'failure' ? formatReply(route.reply) : '');
  return route.kind === 'hosts' ? route.hosts.map((h) => `${h.name} ${h.address}:${h.port ?? route.port}`) : [];
}

function failureOf(route: Route): { permanent: boolean; reply: string } {
  assert.equal(route.kind, 'failure', route.kind === 'hosts' ? JSON.stringify(route.hosts) : '');
  return route.kind === 'failure'
    ? { permanent: route.permanent, reply: formatReply(route.reply) }
    : { permanent: false, reply: '' };
}

describe('routes entries', () => {
  test('an IP literal with its own port comes first, then __mx__ expands to the MX hosts in MX order', async () => {
    const { svc } = service('[domain."example.test"]\nroutes = ["smtp://127.0.0.9?port=2600", "__mx__"]');
    const route = await svc.route({ binding: 'default', domain: 'example.test' });
    assert.deepEqual(hostsOf(route), [
      '127.0.0.9 127.0.0.9:2600',
      'mx1.example.test 127.0.0.2:25',
      'mx2.example.test 127.0.0.3:25',
    ]);
    assert.equal(route.kind === 'hosts' && route.port, 2600);
    assert.equal(route.kind === 'hosts' && route.gateway, false);
    assert.equal(route.kind === 'hosts' && route.auth, undefined);
    // Distinct levels: failover goes down the list, it never spreads across entries.
    assert.deepEqual(route.kind === 'hosts' && route.hosts.map((h) => h.preference), [0, 1, 2]);
  });

  test("pref sorts entries stably (no pref = 0); type=mx uses the named domain's MX hosts; names resolve through DNS", async () => {
    const { svc } = service(
      '[global]\nremote_port = 2525\n[domain."nomx.test"]\nroutes = ["smtp://relay.test?type=mx&pref=20", "smtp://mx1.example.test?pref=10&port=26", "__mx__", "smtp://127.0.0.9"]',
    );
    assert.deepEqual(hostsOf(await svc.route({ binding: 'default', domain: 'nomx.test' })), [
      'nomx.test 127.0.0.4:2525', // __mx__: nomx.test has no MX, so its own address (implicit MX)
      '127.0.0.9 127.0.0.9:2525',
      'mx1.example.test 127.0.0.2:26',
      'mxr.relay.test 127.0.0.12:2525',
    ]);
  });

  test('an entry that fails in DNS is skipped while the others yield hosts', async () => {
    const { svc } = service(
      '[domain."example.test"]\nroutes = ["smtp://nosuch.test", "smtp://timeout.test", "smtp://nosuch.test?type=mx", "__mx__"]',
    );
    assert.deepEqual(hostsOf(await svc.route({ binding: 'v4', domain: 'example.test' })), [
      'mx1.example.test 127.0.0.2:25',
      'mx2.example.test 127.0.0.3:25',
    ]);
  });

  test('an address named by two entries is tried once, at its first place', async () => {
    const { svc } = service('[domain."example.test"]\nroutes = ["smtp://mx2.example.test", "__mx__"]');
    assert.deepEqual(hostsOf(await svc.route({ binding: 'v4', domain: 'example.test' })), [
      'mx2.example.test 127.0.0.3:25',
      'mx1.example.test 127.0.0.2:25',
    ]);
  });

  test('routes of IP literals and explicit hosts send no MX query for the recipient domain', async () => {
    const { svc, queries } = service(
      '[domain."example.test"]\nroutes = ["smtp://127.0.0.9", "smtp://mx1.example.test"]',
    );
    assert.deepEqual(hostsOf(await svc.route({ binding: 'v4', domain: 'example.test' })), [
      '127.0.0.9 127.0.0.9:25',
      'mx1.example.test 127.0.0.2:25',
    ]);
    assert.deepEqual(queries.queries, ['A mx1.example.test']);
  });

  test('__mx__ of an address-literal domain is the literal itself', async () => {
    const { svc } = service('[global]\nroutes = ["smtp://127.0.0.9", "__mx__"]');
    assert.deepEqual(hostsOf(await svc.route({ binding: 'default', domain: '[127.0.0.2]' })), [
      '127.0.0.9 127.0.0.9:25',
      '[127.0.0.2] 127.0.0.2:25',
    ]);
  });
});

describe('routes and address families', () => {
  test('an IPv4-bound binding skips IPv6 entries and AAAA; an IPv6-bound one gets only IPv6', async () => {
    const { svc } = service('[domain."example.test"]\nroutes = ["smtp://[::1]:2601", "smtp://mx2.example.test"]');
    assert.deepEqual(hostsOf(await svc.route({ binding: 'v4', domain: 'example.test' })), [
      'mx2.example.test 127.0.0.3:25',
    ]);
    assert.deepEqual(hostsOf(await svc.route({ binding: 'v6', domain: 'example.test' })), [
      '::1 ::1:2601',
      'mx2.example.test ::1:25',
    ]);
  });

  test('prefer_ipv6 reorders addresses within one entry only', async () => {
    const { svc } = service(
      '[global]\nuse_ipv6 = true\nprefer_ipv6 = true\n[domain."example.test"]\nroutes = ["smtp://127.0.0.9", "smtp://mx2.example.test"]',
    );
    assert.deepEqual(hostsOf(await svc.route({ binding: 'default', domain: 'example.test' })), [
      '127.0.0.9 127.0.0.9:25',
      'mx2.example.test ::1:25',
      'mx2.example.test 127.0.0.3:25',
    ]);
  });
});

describe('routes failures', () => {
  test("every entry failing gives the reply of today's MX route: a lone __mx__ on a null MX fails permanently with 556", async () => {
    const { svc } = service('[global]\nroutes = ["__mx__"]');
    assert.deepEqual(failureOf(await svc.route({ binding: 'default', domain: 'nullmx.test' })), {
      permanent: true,
      reply: '556 5.1.10 [internal] Recipient address has null MX',
    });
    assert.deepEqual(failureOf(await svc.route({ binding: 'default', domain: 'timeout.test' })), {
      permanent: false,
      reply: '454 4.4.4 [internal] no MX or A for domain',
    });
  });

  test("all entries failing permanently gives the first one's reply; one transient failure makes the route transient", async () => {
    const { svc } = service(
      '[domain."gone.test"]\nroutes = ["__mx__", "smtp://nullmx.test?type=mx"]\n[domain."nullmx.test"]\nroutes = ["smtp://nosuch.test", "__mx__"]',
    );
    assert.deepEqual(failureOf(await svc.route({ binding: 'default', domain: 'gone.test' })), {
      permanent: true,
      reply: '554 5.4.4 [internal] Domain Lookup Failed',
    });
    // The host name that does not resolve may later: no permanent failure while it is in the list.
    assert.deepEqual(failureOf(await svc.route({ binding: 'default', domain: 'nullmx.test' })), {
      permanent: false,
      reply: '451 4.4.1 [internal] No valid hosts',
    });
  });

  test('prohibited_hosts drops route addresses; all prohibited fails with 551 5.4.6', async () => {
    const some = service(
      '[global]\nprohibited_hosts = ["127.0.0.9"]\n[domain."example.test"]\nroutes = ["smtp://127.0.0.9", "__mx__"]',
    ).svc;
    assert.deepEqual(hostsOf(await some.route({ binding: 'v4', domain: 'example.test' })), [
      'mx1.example.test 127.0.0.2:25',
      'mx2.example.test 127.0.0.3:25',
    ]);
    assert.deepEqual((await some.explainRoute('v4', 'example.test')).prohibited, ['127.0.0.9']);
    const all = service(
      '[global]\nprohibited_hosts = ["127.0.0.0/8"]\n[domain."example.test"]\nroutes = ["smtp://127.0.0.9", "__mx__"]',
    ).svc;
    assert.deepEqual(failureOf(await all.route({ binding: 'v4', domain: 'example.test' })), {
      permanent: true,
      reply: '551 5.4.6 [internal] Private/Loopback Address',
    });
  });
});

describe('routes beside gateway', () => {
  test("a domain's routes override a [global] gateway; other domains keep the gateway", async () => {
    const { svc } = service('[global]\ngateway = ["127.0.0.7:2600"]\n[domain."example.test"]\nroutes = ["__mx__"]');
    assert.deepEqual(hostsOf(await svc.route({ binding: 'v4', domain: 'example.test' })), [
      'mx1.example.test 127.0.0.2:25',
      'mx2.example.test 127.0.0.3:25',
    ]);
    const other = await svc.route({ binding: 'v4', domain: 'nomx.test' });
    assert.deepEqual(hostsOf(other), ['127.0.0.7 127.0.0.7:2600']);
    assert.equal(other.kind === 'hosts' && other.gateway, true);
  });

  test("a binding's gateway overrides [global] routes for that binding", async () => {
    const { svc } = service(
      '[global]\nroutes = ["smtp://127.0.0.9"]\n[binding.gw]\nbind_address = "127.0.0.1"\ngateway = ["127.0.0.7:2600"]',
    );
    assert.deepEqual(hostsOf(await svc.route({ binding: 'gw', domain: 'example.test' })), ['127.0.0.7 127.0.0.7:2600']);
    assert.deepEqual(hostsOf(await svc.route({ binding: 'v4', domain: 'example.test' })), ['127.0.0.9 127.0.0.9:25']);
  });
});

test('explainRoute names each entry in the order tried, with its hosts or its failure', async () => {
  const { svc } = service(
    '[domain."example.test"]\nroutes = ["__mx__", "smtp://nosuch.test?port=2602", "smtp://127.0.0.9?pref=0&port=2600"]',
  );
  const e = await svc.explainRoute('v4', 'example.test');
  assert.equal(e.source, 'routes');
  assert.equal(e.mx, undefined);
  assert.deepEqual(
    e.routes?.map((r) => [
      r.entry,
      r.kind,
      r.name,
      r.port,
      r.hosts.map((h) => `${h.preference} ${h.name} ${h.addresses.map((a) => a.address).join(',')}`),
      r.failure && formatReply(r.failure.reply),
    ]),
    [
      [
        '__mx__',
        'domain-mx',
        'example.test',
        25,
        ['10 mx1.example.test 127.0.0.2', '20 mx2.example.test 127.0.0.3'],
        undefined,
      ],
      [
        'smtp://nosuch.test?port=2602',
        'a',
        'nosuch.test',
        2602,
        ['0 nosuch.test '],
        '451 4.4.1 [internal] No valid hosts',
      ],
      ['smtp://127.0.0.9?pref=0&port=2600', 'a', '127.0.0.9', 2600, ['0 127.0.0.9 127.0.0.9'], undefined],
    ],
  );
});
