import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scenario } from '../lib/scenario.js';
import { swaksQueued } from '../lib/submit.js';
import { startScenarioPetrel } from '../lib/petrel.js';
import { startSink } from '@petrel/testkit';

test('two MX hosts, the preferred one down: delivered through the second', async (t) => {
  const s = await scenario(t);
  // example.test: mx1 (pref 10) = 127.0.0.2 has nothing listening; mx2 (pref 20) = 127.0.0.3 has the sink.
  const sink = s.stopAfter(await startSink(s.dir, '127.0.0.3', s.mxPort));
  const petrel = await startScenarioPetrel(s);

  const id = await swaksQueued(s.listenPort, 'a@test.local', 'bob@example.test');
  const { record: d } = await petrel.waitForRecord('delivery', id);
  assert.equal(d.remote_ip, '127.0.0.3');
  assert.equal(d.remote_host, 'mx2.example.test');
  assert.equal(d.attempt, 1, 'failover happens within one attempt, not by a retry');
  assert.equal(sink.messages().length, 1);
});
