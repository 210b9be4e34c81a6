import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MessageEnvelope } from '@petrel/core';
import { contextFrom } from '../context-fixture.js';
import { Assigner, pickWeighted } from './assigner.js';
import { recipientDomainRule, senderDomainRule } from './rules.js';

const TOML = `
[binding_group.bulk.binding.b1]
bind_address = "127.0.0.2"
[binding_group.bulk.binding.b2]
bind_address = "127.0.0.3"
[binding_group.bulk.binding.b1.domain."held.test"]
suspend_delivery = true
[binding_group.held.binding.h1]
suspend_delivery = true
[binding.solo]
bind_address = "127.0.0.4"
`;

const envelope: MessageEnvelope = {
  id: 'M1',
  sender: 'news@shop.test',
  recipients: [],
  receivedAt: 0,
  size: 10,
  protocol: 'esmtp',
};

function assigner(rules: Parameters<typeof recipientDomainRule>[] = [], random: () => number = Math.random): Assigner {
  const { config } = contextFrom(TOML);
  return new Assigner({ scopes: config.delivery, rules: rules.map((r) => recipientDomainRule(...r)), random });
}

test('with no rules every domain goes to the default binding in the default group', () => {
  assert.deepEqual(assigner().assign({ envelope, domain: 'example.test' }), {
    binding: 'default',
    group: 'default',
    reason: 'default',
  });
});

test('the first matching rule wins', () => {
  const a = assigner([
    [/\.test$/, { kind: 'binding', name: 'solo' }],
    ['example.test', { kind: 'binding', name: 'b1' }],
  ]);
  const got = a.assign({ envelope, domain: 'example.test' });
  assert.equal(got.binding, 'solo');
  assert.equal(got.group, 'default');
  assert.match(got.reason, /recipient domain/);
});

test('a group target picks among the group bindings and reports the group', () => {
  const picks = [0, 0.99].map((r) =>
    assigner([['example.test', { kind: 'group', name: 'bulk' }]], () => r).assign({ envelope, domain: 'example.test' }),
  );
  assert.deepEqual(
    picks.map((p) => `${p.group}/${p.binding}`),
    ['bulk/b1', 'bulk/b2'],
  );
});

test('a group pick skips bindings suspended for the domain', () => {
  const a = assigner([['held.test', { kind: 'group', name: 'bulk' }]], () => 0);
  assert.equal(a.assign({ envelope, domain: 'held.test' }).binding, 'b2');
});

test('falls back to default when the target binding is unknown or every binding of the group is suspended', () => {
  assert.equal(
    assigner([['example.test', { kind: 'binding', name: 'nope' }]]).assign({ envelope, domain: 'example.test' })
      .binding,
    'default',
  );
  assert.equal(
    assigner([['example.test', { kind: 'group', name: 'held' }]]).assign({ envelope, domain: 'example.test' }).binding,
    'default',
  );
});

test('a sender domain rule matches the envelope sender and never the null sender', () => {
  const rule = senderDomainRule('shop.test', { kind: 'binding', name: 'solo' });
  assert.deepEqual(rule.match({ envelope, domain: 'x.test' }), { kind: 'binding', name: 'solo' });
  assert.equal(rule.match({ envelope: { ...envelope, sender: '' }, domain: 'x.test' }), undefined);
});

test('pickWeighted follows the weights and ignores zero weights', () => {
  const items = [
    { value: 'a', weight: 1 },
    { value: 'off', weight: 0 },
    { value: 'b', weight: 3 },
  ];
  assert.equal(
    pickWeighted(items, () => 0),
    'a',
  );
  assert.equal(
    pickWeighted(items, () => 0.24),
    'a',
  );
  assert.equal(
    pickWeighted(items, () => 0.25),
    'b',
  );
  assert.equal(
    pickWeighted(items, () => 0.999999),
    'b',
  );
  assert.equal(
    pickWeighted([{ value: 'x', weight: 0 }], () => 0),
    undefined,
  );
});

test('a pinned binding group (an HTTP API token) wins over the rules', () => {
  const a = assigner([[/\.test$/, { kind: 'binding', name: 'solo' }]], () => 0.99);
  const got = a.assign({ envelope: { ...envelope, bindingGroup: 'bulk' }, domain: 'example.test' });
  assert.deepEqual(got, { binding: 'b2', group: 'bulk', reason: 'pinned binding group "bulk"' });
});
