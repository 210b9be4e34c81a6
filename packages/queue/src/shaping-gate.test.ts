import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock, parseConfig, type PetrelConfig } from '@petrel/core';
import { ShapingGate } from './shaping-gate.js';

function config(): PetrelConfig {
  const base = parseConfig('', '/nonexistent/petrel.toml');
  const sites = [{ name: 'big', file: 'f', mx: ['*.big.test'], throttle: { count: 2, perMs: 60_000 } }];
  return { ...base, shaping: { ...base.shaping, rules: { files: [], rules: [], sites } } };
}

test('domains routed to one site share the [[site]] throttle; a domain elsewhere is not held', () => {
  const clock = new ManualClock();
  const gate = new ShapingGate(clock, config, () => undefined);
  for (const domain of ['one.test', 'two.test'])
    gate.siteLearned({ domain, site: 'mx1.big.test,mx2.big.test', hosts: ['mx1.big.test', 'mx2.big.test'] });
  const now = clock.now();
  assert.equal(gate.wait('b', 'one.test', now), 0);
  gate.consume('b', 'one.test', now);
  assert.equal(gate.wait('b', 'two.test', now), 0);
  gate.consume('b', 'two.test', now);
  assert.ok(gate.wait('b', 'one.test', now) > 0, 'the site bucket of 2 is used up by both domains together');
  assert.ok(gate.wait('b', 'two.test', now) > 0);
  assert.equal(gate.wait('b', 'other.test', now), 0, 'not routed to the site');
  assert.equal(gate.wait('b2', 'one.test', now), 0, 'another binding has its own bucket');
});

test('a throttle state holds its scope from set until it expires; waiting uses no token', () => {
  const clock = new ManualClock();
  const gate = new ShapingGate(clock, config, () => undefined);
  const state = {
    id: 'throttle:domain:x.test',
    kind: 'throttle' as const,
    scope: 'domain' as const,
    domain: 'x.test',
    rate: { count: 1, perMs: 10_000 },
    source: 'rule' as const,
    since: clock.now(),
  };
  gate.changed({ time: clock.now(), change: 'set', state });
  const now = clock.now();
  assert.equal(gate.wait('b', 'x.test', now), 0);
  assert.equal(gate.wait('b', 'x.test', now), 0, 'asking twice takes nothing');
  gate.consume('b', 'x.test', now);
  assert.equal(gate.wait('b', 'x.test', now), 10_000);
  gate.changed({ time: now, change: 'expired', state });
  assert.equal(gate.wait('b', 'x.test', now), 0);
});
