/** The `routes` option: entry syntax, load errors, and how it sits with `gateway` across scopes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPetrelError, parseConfig as parseWith, type PetrelConfig } from '@petrel/core';
import { routingConfigExtensions } from './extensions.js';
import { parseRouteEntry } from './route-entries.js';

const parseConfig = (text: string, file: string): PetrelConfig =>
  parseWith(text, file, { extensions: routingConfigExtensions });

const F = '/etc/petrel/petrel.toml';

function errorsOf(text: string): string[] {
  try {
    parseConfig(text, F);
  } catch (e) {
    if (isPetrelError(e, 'PETREL_ERR_CONFIG_KEY')) return e.details.errors as string[];
    throw e;
  }
  assert.fail('expected PETREL_ERR_CONFIG_KEY');
}

test('parses __mx__ and smtp:// entries with pref, port (query or authority), ttl and type', () => {
  assert.deepEqual(parseRouteEntry('__mx__'), { entry: { kind: 'domain-mx', text: '__mx__' } });
  assert.deepEqual(parseRouteEntry('smtp://1.2.3.4?pref=10&ttl=300&port=25&type=a'), {
    entry: {
      kind: 'host',
      text: 'smtp://1.2.3.4?pref=10&ttl=300&port=25&type=a',
      host: '1.2.3.4',
      type: 'a',
      port: 25,
      pref: 10,
      ttl: 300,
    },
  });
  assert.deepEqual(parseRouteEntry('smtp://Relay.Example.?type=MX'), {
    entry: { kind: 'host', text: 'smtp://Relay.Example.?type=MX', host: 'relay.example', type: 'mx' },
  });
  assert.deepEqual(parseRouteEntry('smtp://[2001:db8::1]:2525/'), {
    entry: { kind: 'host', text: 'smtp://[2001:db8::1]:2525/', host: '2001:db8::1', type: 'a', port: 2525 },
  });
});

test('refuses malformed entries with the reason', () => {
  const reason = (t: string): string => {
    const r = parseRouteEntry(t);
    return 'error' in r ? r.error : 'accepted';
  };
  assert.equal(reason('__MX__'), 'not a route entry');
  assert.equal(reason('1.2.3.4'), 'not a route entry');
  assert.equal(reason('lmtp://1.2.3.4'), 'only the smtp:// scheme is supported');
  assert.equal(reason('smtp://2001:db8::1'), 'an IPv6 address must be in brackets: smtp://[2001:db8::1]');
  assert.equal(reason('smtp://[1.2.3.4]'), '[1.2.3.4] is not an IPv6 address');
  assert.equal(reason('smtp://bad_host!'), '"bad_host!" is not a host name or an IP address');
  assert.equal(reason('smtp://?port=25'), 'no host');
  assert.equal(reason('smtp://a.test?prio=1'), 'unknown parameter "prio" (known: pref, port, ttl, type)');
  assert.equal(reason('smtp://a.test?pref=1&pref=2'), 'parameter pref given twice');
  assert.equal(reason('smtp://a.test:25?port=26'), 'port given twice (host:port and ?port=)');
  assert.equal(reason('smtp://a.test?port=0'), 'port must be a whole number from 1 to 65535, not "0"');
  assert.equal(reason('smtp://a.test?pref=-1'), 'pref must be a whole number from 0 to 65535, not "-1"');
  assert.equal(reason('smtp://a.test?type=aaaa'), 'type must be "mx" or "a", not "aaaa"');
  assert.equal(reason('smtp://1.2.3.4?type=mx'), 'type=mx needs a domain name: an IP address has no MX records');
});

test('a bad routes entry is a load error naming file, line, key path, the expected form and the entry', () => {
  const errors = errorsOf(
    '[global]\nretry_interval = "5m"\n\n[domain."x.test"]\nroutes = ["__mx__", "smtp://a.test?prio=1", 42]\n[domain."y.test"]\nroutes = ["smtp://1.2.3.4?type=mx"]\n',
  );
  assert.deepEqual(errors, [
    `${F}:5: domain."x.test".routes: expected a list of strings, found ["__mx__", "smtp://a.test?prio=1", 42]`,
    `${F}:7: domain."y.test".routes: expected entries "__mx__" or "smtp://host[:port][?pref=N&port=N&ttl=N&type=mx|a]", found "smtp://1.2.3.4?type=mx" at position 1 (type=mx needs a domain name: an IP address has no MX records)`,
  ]);
  assert.deepEqual(errorsOf('[global]\nroutes = ["__mx__", "smtp://a.test?prio=1"]\n'), [
    `${F}:2: global.routes: expected entries "__mx__" or "smtp://host[:port][?pref=N&port=N&ttl=N&type=mx|a]", found "smtp://a.test?prio=1" at position 2 (unknown parameter "prio" (known: pref, port, ttl, type))`,
  ]);
});

test('routes and gateway in one table are refused at load', () => {
  assert.deepEqual(errorsOf('[domain."x.test"]\ngateway = ["smart.test:587"]\nroutes = ["__mx__"]\n'), [
    `${F}:3: domain."x.test".routes: expected routes or gateway, found both in one table (write the smart hosts as "smtp://host?port=N" routes entries, or drop routes)`,
  ]);
});

test('across scopes the narrower of routes and gateway wins', () => {
  const c = parseConfig(
    '[global]\ngateway = ["smart.test:587"]\n[domain."x.test"]\nroutes = ["smtp://relay.test", "__mx__"]\n' +
      '[binding.b1]\nbind_address = "127.0.0.2"\n[binding.b1.domain."x.test"]\ngateway = ["other.test"]\n',
    F,
  );
  // [domain."x.test"] routes hides the [global] gateway for x.test …
  assert.deepEqual(c.delivery.get('routes', 'default', 'x.test'), ['smtp://relay.test', '__mx__']);
  assert.deepEqual(c.delivery.explain('gateway', 'default', 'x.test'), { value: [], scope: 'domain "x.test"' });
  // … other domains keep the gateway …
  assert.deepEqual(c.delivery.get('gateway', 'default', 'y.test'), ['smart.test:587']);
  assert.deepEqual(c.delivery.get('routes', 'default', 'y.test'), []);
  // … and a binding's domain table with a gateway hides the routes of [domain."x.test"].
  assert.deepEqual(c.delivery.get('gateway', 'b1', 'x.test'), ['other.test']);
  assert.deepEqual(c.delivery.explain('routes', 'b1', 'x.test'), { value: [], scope: 'binding "b1" domain "x.test"' });
});
