/** Routes carry MTA-STS policies only for MX deliveries of domains whose scope says mta_sts = "on". */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parseConfig, type Route } from '@petrel/core';
import { startDnsmasq, type Dnsmasq } from '@petrel/testkit';
import { routingConfigExtensions } from '../config/extensions.js';
import { CachingResolver } from '../dns/caching-resolver.js';
import { createDnsClient } from '../dns/dns-client.js';
import { RouteResolver } from '../route/route-resolver.js';
import { MtaStsCache } from './mta-sts-cache.js';
import { MtaStsResolver } from './mta-sts.js';

let dns: Dnsmasq;
before(async () => {
  dns = await startDnsmasq(['mx-host=sts.test,mx.sts.test,10', 'host-record=mx.sts.test,127.0.0.61']);
});
after(async () => {
  await dns?.stop();
});

function resolver(toml: string): { routes: RouteResolver; asked: string[] } {
  const config = parseConfig(
    `hostname = "p.test"\n[dns]\nservers = ["${dns.server}"]\ntimeout = "500ms"\ntries = 1\n${toml}`,
    'tls.toml',
    { extensions: routingConfigExtensions },
  );
  const asked: string[] = [];
  const mtaSts = new MtaStsResolver({
    txt: async (name) => {
      asked.push(name);
      return [['v=STSv1; id=1']];
    },
    fetch: async () => ({ ok: true, text: 'version: STSv1\nmode: enforce\nmx: mx.sts.test\nmax_age: 60\n' }),
    cache: new MtaStsCache(undefined),
    now: () => 0,
  });
  const cached = new CachingResolver({ client: createDnsClient(config.dns), now: () => 0 });
  return { routes: new RouteResolver({ config, dns: cached, mtaSts }), asked };
}

const sts = (r: Route) => (r.kind === 'hosts' ? r.mtaSts : undefined);

test('mta_sts = "on" (the default): the MX route carries the policy', async () => {
  const { routes, asked } = resolver('');
  assert.deepEqual(sts(await routes.route('default', 'sts.test'))?.mx, ['mx.sts.test']);
  assert.deepEqual(asked, ['_mta-sts.sts.test']);
});

test('mta_sts = "off" in a domain scope: no discovery and no policy for that domain', async () => {
  const { routes, asked } = resolver('[domain."sts.test"]\nmta_sts = "off"\n');
  assert.equal(sts(await routes.route('default', 'sts.test')), undefined);
  assert.deepEqual(asked, []);
});

test('mta_sts = "off" in a binding scope applies to that binding only', async () => {
  const { routes } = resolver('[binding.plain]\nmta_sts = "off"\n');
  assert.equal(sts(await routes.route('plain', 'sts.test')), undefined);
  assert.notEqual(sts(await routes.route('default', 'sts.test')), undefined);
});

test('a gateway route is not subject to MTA-STS', async () => {
  const { routes, asked } = resolver('[domain."sts.test"]\ngateway = ["127.0.0.62:2525"]\n');
  assert.equal(sts(await routes.route('default', 'sts.test')), undefined);
  assert.deepEqual(asked, []);
});

test('mta_sts and dane take only "on" or "off": anything else is a config error naming the key', () => {
  assert.throws(
    () => parseConfig('[global]\ndane = "yes"\n', 'bad.toml', { extensions: routingConfigExtensions }),
    /bad\.toml:2: global\.dane: .*"on", "off"/,
  );
});
