/** Route resolution against a real DNS server (a private dnsmasq with the project's *.test zone). */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { EHLO_FROM_SENDER, formatReply, ManualClock, type Route } from '@petrel/core';
import { countingDns, contextFrom, dnsTestConfig } from '../context-fixture.js';
import { CachingResolver } from '../dns/caching-resolver.js';
import { createDnsClient } from '../dns/dns-client.js';
import { RoutingService } from '../routing-service.js';
import { explainMx } from './mx.js';
import { ehloName } from './route-resolver.js';
import { startDnsmasq, type Dnsmasq } from '@petrel/testkit';

const EXTRA_ZONE = [
  // two MX of equal preference: their order must vary (RFC 5321 §5.1)
  'mx-host=equal.test,mxa.equal.test,10',
  'mx-host=equal.test,mxb.equal.test,10',
  'host-record=mxa.equal.test,127.0.0.8',
  'host-record=mxb.equal.test,127.0.0.9',
  // an MX whose host name is a CNAME
  'mx-host=cnamemx.test,alias.test,10',
  // an MX host without address, on a domain that has an A record of its own
  'mx-host=deadmx.test,nowhere.deadmx.test,10',
  'host-record=deadmx.test,127.0.0.10',
];

let dns: Dnsmasq;
before(async () => {
  dns = await startDnsmasq(EXTRA_ZONE);
});
after(async () => {
  await dns?.stop();
});

function config(extra = ''): string {
  return dnsTestConfig(dns.server, {
    global: 'use_ipv6 = true',
    v6Ehlo: 'out6.petrel.test',
    rest: `[domain."x.test"]
gateway = ["127.0.0.7:2600"]
[domain."multi.test"]
gateway = ["mx1.example.test", "[::1]:2601", "nosuch.test:2602"]
${extra}`,
  });
}

function service(clock = new ManualClock()): { svc: RoutingService; queries: ReturnType<typeof countingDns> } {
  const ctx = contextFrom(config(), clock);
  const queries = countingDns(createDnsClient(ctx.config.dns));
  return { svc: new RoutingService(ctx, { dns: queries }), queries };
}

function hostsOf(route: Route): string[] {
  assert.equal(route.kind, 'hosts', `expected hosts, got ${route.kind === 'failure' ? formatReply(route.reply) : ''}`);
  return route.kind === 'hosts' ? route.hosts.map((h) => `${h.name} ${h.address} ${h.preference}`) : [];
}

function failureOf(route: Route): { permanent: boolean; reply: string } {
  assert.equal(route.kind, 'failure');
  return route.kind === 'failure'
    ? { permanent: route.permanent, reply: formatReply(route.reply) }
    : { permanent: false, reply: '' };
}

describe('MX routes', () => {
  test('orders MX hosts by preference, IPv4 before IPv6 within a host', async () => {
    const { svc } = service();
    const route = await svc.route({ binding: 'default', domain: 'example.test' });
    assert.deepEqual(hostsOf(route), [
      'mx1.example.test 127.0.0.2 10',
      'mx2.example.test 127.0.0.3 20',
      'mx2.example.test ::1 20',
    ]);
    assert.equal(route.kind === 'hosts' && route.port, 25);
    assert.equal(route.kind === 'hosts' && route.gateway, false);
    assert.equal(route.kind === 'hosts' && route.ehloName, 'petrel.test');
    assert.equal(route.kind === 'hosts' && route.bindAddress, undefined);
  });

  test('an IPv4-bound binding gets only IPv4 hosts and never asks for AAAA', async () => {
    const { svc, queries } = service();
    const route = await svc.route({ binding: 'v4', domain: 'example.test' });
    assert.deepEqual(hostsOf(route), ['mx1.example.test 127.0.0.2 10', 'mx2.example.test 127.0.0.3 20']);
    assert.equal(route.kind === 'hosts' && route.bindAddress, '127.0.0.1');
    assert.equal(queries.count('AAAA'), 0);
  });

  test('an IPv6-bound binding gets only IPv6 hosts, skipping MX names without AAAA, with its own EHLO name', async () => {
    const { svc, queries } = service();
    const route = await svc.route({ binding: 'v6', domain: 'example.test' });
    assert.deepEqual(hostsOf(route), ['mx2.example.test ::1 20']);
    assert.equal(route.kind === 'hosts' && route.ehloName, 'out6.petrel.test');
    assert.equal(queries.count('A'), 0);
  });

  test('randomises the order of MX hosts of equal preference', async () => {
    const { svc } = service();
    const orders = new Set<string>();
    for (let i = 0; i < 200 && orders.size < 2; i++) {
      orders.add(hostsOf(await svc.route({ binding: 'v4', domain: 'equal.test' })).join(','));
    }
    assert.deepEqual([...orders].sort(), [
      'mxa.equal.test 127.0.0.8 10,mxb.equal.test 127.0.0.9 10',
      'mxb.equal.test 127.0.0.9 10,mxa.equal.test 127.0.0.8 10',
    ]);
  });

  test('uses the domain itself as implicit MX with preference 0 when it has no MX records', async () => {
    const { svc } = service();
    assert.deepEqual(hostsOf(await svc.route({ binding: 'v4', domain: 'nomx.test' })), ['nomx.test 127.0.0.4 0']);
  });

  test('follows CNAMEs, for an implicit MX and for an MX host name', async () => {
    const { svc } = service();
    assert.deepEqual(hostsOf(await svc.route({ binding: 'v4', domain: 'alias.test' })), ['alias.test 127.0.0.2 0']);
    assert.deepEqual(hostsOf(await svc.route({ binding: 'v4', domain: 'cnamemx.test' })), ['alias.test 127.0.0.2 10']);
  });

  test('fails permanently with 556 5.1.10 on a null MX (RFC 7505)', async () => {
    const { svc } = service();
    assert.deepEqual(failureOf(await svc.route({ binding: 'default', domain: 'nullmx.test' })), {
      permanent: true,
      reply: '556 5.1.10 [internal] Recipient address has null MX',
    });
  });

  test('fails permanently with 554 5.4.4 when the domain does not exist', async () => {
    const { svc } = service();
    assert.deepEqual(failureOf(await svc.route({ binding: 'default', domain: 'nosuch.test' })), {
      permanent: true,
      reply: '554 5.4.4 [internal] Domain Lookup Failed',
    });
  });

  test('fails transiently with 454 4.4.4 when DNS times out', async () => {
    const { svc } = service();
    assert.deepEqual(failureOf(await svc.route({ binding: 'default', domain: 'timeout.test' })), {
      permanent: false,
      reply: '454 4.4.4 [internal] no MX or A for domain',
    });
  });

  test('fails transiently with 451 4.4.1 when no MX host has an address, never using the domain A record', async () => {
    const { svc } = service();
    assert.deepEqual(failureOf(await svc.route({ binding: 'default', domain: 'deadmx.test' })), {
      permanent: false,
      reply: '451 4.4.1 [internal] No valid hosts',
    });
  });
});

describe('gateway routes', () => {
  test('a domain with a gateway goes to it, with its port, and skips MX lookup', async () => {
    const { svc, queries } = service();
    const route = await svc.route({ binding: 'default', domain: 'x.test' });
    assert.deepEqual(hostsOf(route), ['127.0.0.7 127.0.0.7 0']);
    assert.equal(route.kind === 'hosts' && route.gateway, true);
    assert.equal(route.kind === 'hosts' && route.port, 2600);
    assert.deepEqual(queries.queries, []);
  });

  test('gateway names resolve through DNS in listed order; unresolvable entries are skipped', async () => {
    const { svc, queries } = service();
    const route = await svc.route({ binding: 'default', domain: 'multi.test' });
    assert.deepEqual(hostsOf(route), ['mx1.example.test 127.0.0.2 0', '::1 ::1 1']);
    assert.deepEqual(route.kind === 'hosts' && route.hosts.map((h) => (h as { port?: number }).port), [25, 2601]);
    assert.equal(queries.count('MX'), 0);
  });
});

describe('DNS cache', () => {
  test('a second route for the same domain is answered without querying DNS', async () => {
    const { svc, queries } = service();
    const first = await svc.route({ binding: 'default', domain: 'example.test' });
    const sent = queries.queries.length;
    assert.equal(sent, 5); // MX + A/AAAA for two hosts
    const second = await svc.route({ binding: 'default', domain: 'example.test' });
    assert.equal(queries.queries.length, sent);
    assert.deepEqual(second, first);
  });

  test('concurrent routes for one domain share the queries', async () => {
    const { svc, queries } = service();
    await Promise.all(Array.from({ length: 10 }, () => svc.route({ binding: 'v4', domain: 'example.test' })));
    assert.deepEqual([...queries.queries].sort(), ['A mx1.example.test', 'A mx2.example.test', 'MX example.test']);
  });

  test("MX answers expire with their hosts' address TTL (60 s in the zone), not before", async () => {
    const clock = new ManualClock();
    const { svc, queries } = service(clock);
    await svc.route({ binding: 'v4', domain: 'example.test' });
    clock.advance(59_000);
    await svc.route({ binding: 'v4', domain: 'example.test' });
    assert.equal(queries.count('MX'), 1);
    clock.advance(1_000);
    await svc.route({ binding: 'v4', domain: 'example.test' });
    assert.equal(queries.count('MX'), 2);
    assert.equal(queries.count('A mx1.example.test'), 2);
  });

  test('NXDOMAIN is cached', async () => {
    const { svc, queries } = service();
    await svc.route({ binding: 'default', domain: 'nosuch.test' });
    await svc.route({ binding: 'default', domain: 'nosuch.test' });
    assert.equal(queries.count('MX nosuch.test'), 1);
  });
});

describe('explain', () => {
  test('explainMx lists every MX with its preference, addresses and their TTL', async () => {
    const ctx = contextFrom(config());
    const r = new CachingResolver({ client: createDnsClient(ctx.config.dns), now: () => 0 });
    const mx = await explainMx(r, 'example.test', { families: [4, 6] });
    assert.deepEqual(mx, {
      domain: 'example.test',
      implicit: false,
      hosts: [
        { name: 'mx1.example.test', preference: 10, addresses: [{ address: '127.0.0.2', family: 4 }], ttl: 60 },
        {
          name: 'mx2.example.test',
          preference: 20,
          addresses: [
            { address: '127.0.0.3', family: 4 },
            { address: '::1', family: 6 },
          ],
          ttl: 60,
        },
      ],
    });
  });

  test('explainRoute says the route came from a gateway and names the entries', async () => {
    const { svc } = service();
    const e = await svc.explainRoute('default', 'X.TEST');
    assert.equal(e.source, 'gateway');
    assert.equal(e.domain, 'x.test');
    assert.deepEqual(
      e.gateway?.map((g) => g.entry),
      ['127.0.0.7:2600'],
    );
  });
});

describe('ehlo_hostname', () => {
  test('"__hostname__" is the hostname, a literal is itself, "__message__" stays for outbound to resolve per connection', () => {
    assert.equal(ehloName('__hostname__', 'petrel.test'), 'petrel.test');
    assert.equal(ehloName('out.example.com', 'petrel.test'), 'out.example.com');
    assert.equal(ehloName(EHLO_FROM_SENDER, 'petrel.test'), EHLO_FROM_SENDER);
  });
});

describe('mail loops (RFC 5321 §6.3)', () => {
  // The listener's own address: a route to it is delivery to ourselves.
  const LOOP = `[listener]\nlisten = ["127.0.0.2:2700"]\n[domain."example.test"]\nremote_port = 2700\n[domain."loop.test"]\ngateway = ["127.0.0.2:2700"]\n`;

  function loopService(): RoutingService {
    const ctx = contextFrom(dnsTestConfig(dns.server, { rest: LOOP }));
    return new RoutingService(ctx, { dns: createDnsClient(ctx.config.dns) });
  }

  test('skips an MX host that is our own listener address and port, keeping the others', async () => {
    const svc = loopService();
    assert.deepEqual(hostsOf(await svc.route({ binding: 'v4', domain: 'example.test' })), [
      'mx2.example.test 127.0.0.3 20',
    ]);
    const x = await svc.explainRoute('v4', 'example.test');
    assert.deepEqual(x.self, ['127.0.0.2:2700']);
  });

  test('fails permanently with 554 5.4.6 when every host is ourselves', async () => {
    const svc = loopService();
    assert.deepEqual(failureOf(await svc.route({ binding: 'v4', domain: 'loop.test' })), {
      permanent: true,
      reply: '554 5.4.6 [internal] mail for loop.test loops back to myself',
    });
  });

  test('the same address on another port is not ourselves', async () => {
    const svc = loopService();
    assert.deepEqual(hostsOf(await svc.route({ binding: 'v4', domain: 'nomx.test' })), ['nomx.test 127.0.0.4 0']);
    assert.deepEqual(
      hostsOf(await svc.route({ binding: 'v4', domain: 'alias.test' })),
      ['alias.test 127.0.0.2 0'],
      'alias.test uses remote_port 25, the listener is on 2700',
    );
  });
});
