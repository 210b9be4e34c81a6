import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scenario } from '../lib/scenario.js';
import { swaksVia } from '../lib/submit.js';
import { sinkBody, startSink } from '@petrel/testkit';
import { startScenarioPetrel } from '../lib/petrel.js';

// setBinding chooses the source address by sender domain; beforeDelivery adds a header per attempt;
// connectionGoal and classify are defined too, so every routing/queue/outbound hook runs.
const MODULE = `
const BY_DOMAIN = { 'alpha.test': { binding: 'b2' }, 'beta.test': { binding: 'b3' } };
export default {
  setBinding(ctx) {
    return BY_DOMAIN[ctx.message.sender.split('@')[1]];
  },
  connectionGoal(ctx) {
    return Math.max(1, ctx.defaultGoal);
  },
  beforeDelivery(ctx) {
    return { headers: { 'X-Delivered-Binding': ctx.binding }, mailParameters: { 'X-POLICY-ID': ctx.message.id.replace(/[^A-Za-z0-9]/g, '') }, rcptParameters: { 'X-TAG': true } };
  },
  clientStates(ctx) {
    // A custom SMTP client state after EHLO (Momentum register_smtp_client_state): a NOOP probe.
    ctx.register({ name: 'policy-probe', stage: 11, timeout: 'ehlo', send: () => ['NOOP policy-probe'] }, { after: 'ehlo' });
  },
  classify() {},
};
`;
const BINDINGS = `
[binding.b2]
bind_address = "127.0.0.2"
[binding.b3]
bind_address = "127.0.0.3"

[[policy]]
module = "policy/route.mjs"

[domain."bind.test"]
trace_file = "trace.log"
`;

test('setBinding picks the binding (source address seen at the sink); beforeDelivery adds a header and MAIL/RCPT parameters; clientStates adds a state', {
  timeout: 120_000,
}, async (t) => {
  const s = await scenario(t, ['mx-host=bind.test,sink.bind.test,10', 'host-record=sink.bind.test,127.0.0.5']);
  const sink = s.stopAfter(await startSink(s.dir, '127.0.0.5', s.mxPort));
  const dir = join(s.dir, 'petrel');
  mkdirSync(join(dir, 'policy'), { recursive: true });
  writeFileSync(join(dir, 'policy', 'route.mjs'), MODULE);
  const petrel = await startScenarioPetrel(s, { extra: BINDINGS }, dir);

  for (const from of ['a@alpha.test', 'b@beta.test', 'c@other.test']) {
    const r = await swaksVia(s.listenPort, from, 'rcpt@bind.test');
    assert.equal(r.code, 0, r.out);
  }
  await petrel.waitForEvents('three deliveries', (e) => e.filter((x) => x.type === 'delivery').length === 3);
  const dumps = sink.messages();
  const dumpOf = (from: string): string => {
    const d = dumps.find((x) => x.includes(`<${from}>`));
    assert.ok(d, `a dump for ${from}`);
    return d;
  };
  const field = (dump: string, name: string): string | undefined =>
    new RegExp(`^${name}: (.*)$`, 'm').exec(dump)?.[1]?.trim();
  assert.equal(field(dumpOf('a@alpha.test'), 'X-Client-Addr'), '127.0.0.2');
  assert.equal(field(dumpOf('b@beta.test'), 'X-Client-Addr'), '127.0.0.3');
  assert.equal(field(sinkBody(dumpOf('a@alpha.test')), 'X-Delivered-Binding'), 'b2');
  assert.equal(field(sinkBody(dumpOf('b@beta.test')), 'X-Delivered-Binding'), 'b3');
  assert.equal(
    field(sinkBody(dumpOf('c@other.test')), 'X-Delivered-Binding'),
    'default',
    'no answer: the configured rules (default binding)',
  );
  // The transcript (trace_file) shows the custom state after EHLO and the added parameters.
  const trace = readFileSync(join(dir, 'trace.log'), 'utf8');
  assert.match(trace, /NOOP policy-probe/);
  assert.match(trace, /MAIL FROM:<a@alpha\.test>.* X-POLICY-ID=[A-Za-z0-9]+/);
  assert.match(trace, /RCPT TO:<rcpt@bind\.test>.* X-TAG/);
});
