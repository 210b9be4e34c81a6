import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from './loader.js';

// Momentum 4 docs, ref-max-outbound-connections: g 30, binding_group group1 5, binding "example" in group1 15.
const MOMENTUM_EXAMPLE = `
[global]
max_outbound_connections = 30
[binding_group.group1]
max_outbound_connections = 5
[binding_group.group1.binding.example]
max_outbound_connections = 15
[binding_group.group1.binding.other]
[binding.outside]
`;

test('Momentum example: example.com via "example" 15, other group1 bindings 5, bindings outside group1 30', () => {
  const r = parseConfig(MOMENTUM_EXAMPLE, 'm.toml').delivery;
  assert.equal(r.get('max_outbound_connections', 'example', 'example.com'), 15);
  assert.equal(r.get('max_outbound_connections', 'other', 'example.com'), 5);
  assert.equal(r.get('max_outbound_connections', 'outside', 'example.com'), 30);
  assert.equal(r.get('max_outbound_connections', 'default', 'example.com'), 30);
});

test('Momentum example: a global domain stanza beats global for a binding with nothing set', () => {
  const r = parseConfig(
    `[global]\nmessage_expiration = 86400\n[domain."example.com"]\nmessage_expiration = 120\n[binding.example3]\n`,
    'm.toml',
  ).delivery;
  assert.deepEqual(r.explain('message_expiration', 'example3', 'example.com'), {
    value: 120_000,
    scope: 'domain "example.com"',
  });
  assert.deepEqual(r.explain('message_expiration', 'example3', 'other.com'), { value: 86_400_000, scope: 'global' });
});

const RANKS = `
[global]
retry_interval = 6
[domain."d.test"]
retry_interval = 5
[binding_group.g]
retry_interval = 45
[binding_group.g.domain."d.test"]
retry_interval = 3
[binding_group.g.binding.b]
retry_interval = 4
[binding_group.g.binding.b.domain."d.test"]
retry_interval = 1
[binding.solo]
retry_interval = 40
[binding.solo.domain."d.test"]
retry_interval = 2
`;

test('every precedence rank in order, each explained with its scope', () => {
  const r = parseConfig(RANKS, 'r.toml').delivery;
  assert.deepEqual(r.explain('retry_interval', 'b', 'd.test'), {
    value: 1000,
    scope: 'binding_group "g" binding "b" domain "d.test"',
  });
  assert.deepEqual(r.explain('retry_interval', 'solo', 'd.test'), {
    value: 2000,
    scope: 'binding "solo" domain "d.test"',
  });
  assert.deepEqual(r.explain('retry_interval', 'b', 'other.test'), {
    value: 4000,
    scope: 'binding_group "g" binding "b"',
  });
  assert.deepEqual(r.explain('retry_interval', 'default', 'd.test'), { value: 5000, scope: 'domain "d.test"' });
  assert.deepEqual(r.explain('retry_interval', 'default', 'other.test'), { value: 6000, scope: 'global' });
  assert.deepEqual(r.explain('max_retry_interval', 'default', 'other.test'), { value: 43_200_000, scope: 'default' });
});

test('a group domain table (rank 3) beats the binding table (rank 4)', () => {
  const r = parseConfig(
    RANKS.replace('[binding_group.g.binding.b.domain."d.test"]\nretry_interval = 1\n', ''),
    'r.toml',
  ).delivery;
  assert.deepEqual(r.explain('retry_interval', 'b', 'd.test'), {
    value: 3000,
    scope: 'binding_group "g" domain "d.test"',
  });
});

test('regex domains match after exact ones, in declaration order', () => {
  const r = parseConfig(
    `[domain."/(^|\\\\.)example\\\\.(com|net)$/"]\nmax_outbound_connections = 7\n[domain."/example/"]\nmax_outbound_connections = 8\n[domain."mail.example.com"]\nmax_outbound_connections = 9\n`,
    'x.toml',
  ).delivery;
  assert.equal(r.get('max_outbound_connections', 'default', 'mail.example.com'), 9);
  assert.equal(r.get('max_outbound_connections', 'default', 'a.example.net'), 7);
  assert.equal(r.get('max_outbound_connections', 'default', 'example.org'), 8);
  assert.equal(r.get('max_outbound_connections', 'default', 'other.org'), 32);
});

test('the implicit default binding takes [global] bind_address', () => {
  const c = parseConfig(`[global]\nbind_address = "127.0.0.2"\n`, 'x.toml');
  assert.equal(c.delivery.binding('default')?.bindAddress, '127.0.0.2');
  assert.deepEqual(c.scopes.groups.get('default')?.bindings, ['default']);
});
