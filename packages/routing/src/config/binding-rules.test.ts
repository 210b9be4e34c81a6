import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isPetrelError, parseConfig as parseWith, type PetrelConfig } from '@petrel/core';
import { routingConfigExtensions } from './extensions.js';

const parseConfig = (text: string, file: string): PetrelConfig =>
  parseWith(text, file, { extensions: routingConfigExtensions });

const BINDINGS = `
[binding_group.bulk.binding.b1]
bind_address = "127.0.0.2"
weight = 3
[binding.solo]
bind_address = "127.0.0.4"
`;

function errorsOf(text: string): string {
  try {
    parseConfig(text, 'p.toml');
  } catch (e) {
    if (isPetrelError(e, 'PETREL_ERR_CONFIG_KEY')) return e.message;
    throw e;
  }
  assert.fail('expected a configuration error');
}

test('binding rules are kept in file order with their header lines, and binding weights are read', () => {
  const c = parseConfig(
    `${BINDINGS}
[[binding_rule]]
sender_domain = "shop.test"
binding = "solo"

[[binding_rule]]
recipient_domain = "/\\\\.example$/"
client_network = ["10.0.0.0/8"]
binding_group = "bulk"
`,
    'p.toml',
  );
  assert.deepEqual(
    c.bindingRules.map((r) => [r.index, r.line, r.binding ?? r.binding_group]),
    [
      [1, 8, 'solo'],
      [2, 12, 'bulk'],
    ],
  );
  assert.deepEqual(c.bindingRules[1]!.client_network, ['10.0.0.0/8']);
  assert.equal(c.bindingWeights.get('b1'), 3);
  assert.equal(c.routing.allow_binding_header, false);
});

test('a rule naming a missing binding or group is an error with file and line', () => {
  const msg = errorsOf(`${BINDINGS}
[[binding_rule]]
sender_domain = "shop.test"
binding = "nope"

[[binding_rule]]
binding_group = "ghost"
`);
  assert.match(msg, /^p\.toml:8: binding_rule\[1\]: binding "nope" is not defined/m);
  assert.match(msg, /^p\.toml:12: binding_rule\[2\]: binding_group "ghost" is not defined/m);
});

test('unknown keys, wrong types, bad regexes and missing results are errors', () => {
  const msg = errorsOf(`${BINDINGS}
[[binding_rule]]
recipent_domain = "x.test"
binding = "solo"
[[binding_rule]]
client_network = "10.0.0.0/8"
binding = "solo"
[[binding_rule]]
recipient_domain = "/(/"
binding = "solo"
[[binding_rule]]
sender_domain = "a.test"
[[binding_rule]]
sender_domain = "a.test"
binding = "solo"
binding_group = "bulk"
`);
  assert.match(msg, /p\.toml:8: binding_rule\[1\]: unknown key "recipent_domain"/);
  assert.match(msg, /p\.toml:11: binding_rule\[2\]\.client_network: expected a list of networks/);
  assert.match(msg, /p\.toml:14: binding_rule\[3\]: recipient_domain: expected a valid regular expression/);
  assert.match(msg, /p\.toml:17: binding_rule\[4\]: expected a result/);
  assert.match(msg, /p\.toml:19: binding_rule\[5\]: expected one result, binding or binding_group, found both/);
});

test('a header rule needs [routing] allow_binding_header = true', () => {
  assert.match(
    errorsOf(`[[binding_rule]]\nheader = "X-Binding"\n`),
    /p\.toml:1: binding_rule\[1\]: a header rule needs \[routing\] allow_binding_header = true/,
  );
  const c = parseConfig(
    `[routing]\nallow_binding_header = true\n[[binding_rule]]\nheader = "X-Binding-Group"\n`,
    'p.toml',
  );
  assert.equal(c.bindingRules[0]!.header, 'X-Binding-Group');
});
