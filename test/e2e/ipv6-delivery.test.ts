import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scenario } from '../lib/scenario.js';
import { swaksQueued } from '../lib/submit.js';
import { startScenarioPetrel } from '../lib/petrel.js';
import { startSink } from '@petrel/testkit';

// example.test: mx1 127.0.0.2 (A only), mx2 127.0.0.3 and ::1 (A and AAAA), from the test zone.
const BINDINGS = `
[binding.v6]
bind_address = "::1"
ehlo_hostname = "out6.petrel.test"

[[binding_rule]]
sender_domain = "six.test"
binding = "v6"
`;

test('an IPv6-bound binding delivers over IPv6: AAAA of the MX, from ::1, skipping the A-only MX', async (t) => {
  const s = await scenario(t);
  const v4 = s.stopAfter(await startSink(s.dir, '127.0.0.2', s.mxPort));
  const v6 = s.stopAfter(await startSink(s.dir, '::1', s.mxPort));
  const p = await startScenarioPetrel(s, { extra: BINDINGS });

  const id = await swaksQueued(s.listenPort, 'a@six.test', 'b@example.test');
  const { record: d } = await p.waitForRecord('delivery', id);
  assert.equal(d.binding, 'v6');
  assert.equal(d.remote_ip, '::1');
  assert.equal(v4.messages().length, 0, 'the preferred but A-only MX was skipped');
  const dump = v6.messages()[0]!;
  assert.match(dump, /^X-Client-Addr: ipv6:::1$/m, 'the sink saw an IPv6 client');
  assert.match(dump, /^X-Helo-Args: out6\.petrel\.test$/m);
});
