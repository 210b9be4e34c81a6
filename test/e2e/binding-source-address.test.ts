import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scenario } from '../lib/scenario.js';
import { swaksVia } from '../lib/submit.js';
import { scenarioConfig, startScenarioPetrel } from '../lib/petrel.js';
import { startSink } from '@petrel/testkit';

// Two bindings on two source addresses, chosen by sender domain; the destination's MX
// (sink.bind.test = 127.0.0.5) is on a third loopback address so that both bindings can reach it.
const ZONE = ['mx-host=bind.test,sink.bind.test,10', 'host-record=sink.bind.test,127.0.0.5'];
const BINDINGS = `
[binding.b2]
bind_address = "127.0.0.2"
ehlo_hostname = "out2.petrel.test"
[binding.b3]
bind_address = "127.0.0.3"
ehlo_hostname = "__message__"

[[binding_rule]]
sender_domain = "one.test"
binding = "b2"
[[binding_rule]]
sender_domain = "/^two\\\\.test$/"
binding = "b3"
`;

test("mail assigned by sender domain leaves from its binding's address with its EHLO name (a literal, or __message__ = the sender domain)", async (t) => {
  const s = await scenario(t, ZONE);
  const sink = s.stopAfter(await startSink(s.dir, '127.0.0.5', s.mxPort));
  const toml = scenarioConfig(s, { extra: BINDINGS });
  const petrel = await startScenarioPetrel(s, toml);

  const ids: Record<string, string> = {};
  for (const from of ['a@one.test', 'b@two.test', 'c@other.test']) {
    const r = await swaksVia(s.listenPort, from, 'rcpt@bind.test');
    assert.equal(r.code, 0, r.out);
    ids[from] = /queued as (\S+)/.exec(r.out)![1]!;
  }
  const ev = await petrel.waitForEvents('three deliveries', (e) => e.filter((x) => x.type === 'delivery').length === 3);
  const binding = (from: string): unknown =>
    ev.find((x) => x.type === 'delivery' && x.message_id === ids[from])?.binding;
  assert.deepEqual(['a@one.test', 'b@two.test', 'c@other.test'].map(binding), ['b2', 'b3', 'default']);

  const dumps = sink.messages();
  assert.equal(dumps.length, 3);
  const dumpOf = (from: string): string => {
    const d = dumps.find((x) => x.includes(`<${from}>`));
    assert.ok(d, `a dump for ${from}`);
    return d;
  };
  const field = (dump: string, name: string): string | undefined =>
    new RegExp(`^${name}: (.*)$`, 'm').exec(dump)?.[1]?.trim();
  assert.equal(field(dumpOf('a@one.test'), 'X-Client-Addr'), '127.0.0.2');
  assert.equal(field(dumpOf('a@one.test'), 'X-Helo-Args'), 'out2.petrel.test');
  assert.equal(field(dumpOf('b@two.test'), 'X-Client-Addr'), '127.0.0.3');
  assert.equal(field(dumpOf('b@two.test'), 'X-Helo-Args'), 'two.test', '__message__: the sender domain');
  assert.equal(field(dumpOf('c@other.test'), 'X-Helo-Args'), 'petrel.test', 'the default binding uses the hostname');
});

test('an X-Binding header picks the binding when allowed, and is removed before delivery', async (t) => {
  const s = await scenario(t, ZONE);
  const sink = s.stopAfter(await startSink(s.dir, '127.0.0.5', s.mxPort));
  const rules = `
[routing]
allow_binding_header = true
[binding.b2]
bind_address = "127.0.0.2"
ehlo_hostname = "out2.petrel.test"
[binding.b3]
bind_address = "127.0.0.3"
ehlo_hostname = "out3.petrel.test"

[[binding_rule]]
header = "X-Binding"
[[binding_rule]]
binding = "b2"
`;
  const toml = scenarioConfig(s, { extra: rules });
  const petrel = await startScenarioPetrel(s, toml);

  const ids: Record<string, string> = {};
  for (const [from, header] of [
    ['h3@x.test', 'b3'],
    ['h2@x.test', undefined],
    ['hx@x.test', 'no-such-binding'],
  ] as const) {
    const r = await swaksVia(s.listenPort, from, 'rcpt@bind.test', [
      ...(header ? ['--header', `X-Binding: ${header}`] : []),
    ]);
    assert.equal(r.code, 0, r.out);
    ids[from] = /queued as (\S+)/.exec(r.out)![1]!;
  }
  const ev = await petrel.waitForEvents('three deliveries', (e) => e.filter((x) => x.type === 'delivery').length === 3);
  const binding = (from: string): unknown =>
    ev.find((x) => x.type === 'delivery' && x.message_id === ids[from])?.binding;
  // An unknown name does not match the header rule, so the next rule (b2) decides.
  assert.deepEqual(['h3@x.test', 'h2@x.test', 'hx@x.test'].map(binding), ['b3', 'b2', 'b2']);
  const dump = sink.messages().find((x) => x.includes('<h3@x.test>'));
  assert.ok(dump, 'a dump for h3@x.test');
  assert.match(dump, /^X-Client-Addr: 127\.0\.0\.3$/m);
  assert.doesNotMatch(dump, /^X-Binding:/im, 'the binding header is stripped before delivery');
});
