import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig, type PetrelConfig } from '@petrel/core';
import { ConnectionLimits } from './connection-limits.js';

function config(siteMax: number, perIp: number): PetrelConfig {
  const base = parseConfig('', '/nonexistent/petrel.toml');
  const sites = [{ name: 'big', file: 'f', mx: ['*.big.test'], maxConnections: 3 }];
  return {
    ...base,
    shaping: {
      ...base.shaping,
      site_max_connections: siteMax,
      max_connections_per_ip: perIp,
      rules: { files: [], rules: [], sites },
    },
  };
}

test('domains of one site share its connection limit; another binding has its own', () => {
  const limits = new ConnectionLimits(() => config(2, 0));
  const site = 'mx1.shared.test';
  const a = limits.tryAcquire({ binding: 'b1', domain: 'one.test', site });
  const b = limits.tryAcquire({ binding: 'b1', domain: 'two.test', site });
  assert.ok(a && b);
  assert.equal(limits.tryAcquire({ binding: 'b1', domain: 'three.test', site }), undefined, 'site full');
  assert.ok(limits.tryAcquire({ binding: 'b2', domain: 'one.test', site }), 'per binding');
  a.release();
  a.release();
  assert.ok(limits.tryAcquire({ binding: 'b1', domain: 'three.test', site }), 'room again after one closed');
  assert.equal(limits.openToSite('b1', site), 2);
});

test('a [[site]] entry sets the limit of the sites its MX pattern matches; per-IP limits count by address', () => {
  const limits = new ConnectionLimits(() => config(1, 1));
  const site = 'mx1.big.test,mx2.big.test';
  for (let i = 0; i < 3; i++) assert.ok(limits.tryAcquire({ binding: 'b', domain: `d${i}.test`, site }));
  assert.equal(limits.tryAcquire({ binding: 'b', domain: 'd3.test', site }), undefined);
  const ip = limits.tryAcquire({ binding: 'b', domain: 'd.test', site, ip: '192.0.2.1' });
  assert.ok(ip);
  assert.equal(limits.tryAcquire({ binding: 'b', domain: 'e.test', site, ip: '192.0.2.1' }), undefined);
  assert.ok(limits.tryAcquire({ binding: 'b', domain: 'e.test', site, ip: '192.0.2.2' }));
});

test('a max_connections state limits new connections of its scope until it ends; waiters wake on changes', async () => {
  const limits = new ConnectionLimits(() => config(0, 0));
  const state = {
    id: 'max_connections:domain:x.test',
    kind: 'max_connections' as const,
    scope: 'domain' as const,
    domain: 'x.test',
    connections: 1,
    source: 'rule' as const,
    since: 0,
  };
  limits.changed({ time: 0, change: 'set', state });
  assert.ok(limits.tryAcquire({ binding: 'b', domain: 'x.test', site: 's' }));
  assert.equal(limits.tryAcquire({ binding: 'b2', domain: 'x.test', site: 's' }), undefined);
  const woke = limits.freed();
  limits.changed({ time: 1, change: 'expired', state });
  await woke;
  assert.ok(limits.tryAcquire({ binding: 'b2', domain: 'x.test', site: 's' }));
});

test('the limits a cluster shares: the site and the max_connections states in one order, not per-IP nor unlimited', () => {
  const byDomain = {
    id: 'max_connections:domain:z.big.test',
    kind: 'max_connections' as const,
    scope: 'domain' as const,
    domain: 'z.big.test',
    connections: 2,
    source: 'operator' as const,
    since: 0,
  };
  const byBinding = { ...byDomain, id: 'max_connections:binding:b', scope: 'binding' as const, binding: 'b' };
  // The two states set in opposite orders on two nodes: both take the leases in the same order.
  const one = new ConnectionLimits(() => config(0, 1));
  one.changed({ time: 0, change: 'set', state: byDomain });
  one.changed({ time: 0, change: 'set', state: byBinding });
  const two = new ConnectionLimits(() => config(0, 1));
  two.changed({ time: 0, change: 'set', state: byBinding });
  two.changed({ time: 0, change: 'set', state: byDomain });
  const key = { binding: 'b', domain: 'z.big.test', site: 'mx1.big.test' };
  const expected = [
    { key: 'site\u0000b\u0000mx1.big.test', limit: 3 },
    { key: 'state\u0000max_connections:binding:b', limit: 2 },
    { key: 'state\u0000max_connections:domain:z.big.test', limit: 2 },
  ];
  assert.deepEqual(one.shared(key), expected);
  assert.deepEqual(two.shared(key), expected);
  // site_max_connections 0 = no limit: a site without a [[site]] entry and no state shares nothing.
  assert.deepEqual(one.shared({ binding: 'b2', domain: 'q.test', site: 'mx.q.test' }), []);
  assert.deepEqual(one.shared({ ...key, ip: '192.0.2.1' }), []);
});
