import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scenario } from '../lib/scenario.js';
import { swaksVia } from '../lib/submit.js';
import { startScenarioPetrel } from '../lib/petrel.js';

test('a client outside relay_networks gets 554 5.7.1 and a rejection record', async (t) => {
  const s = await scenario(t);
  const petrel = await startScenarioPetrel(s, {
    relayNetworks: ['127.0.0.1/32'],
  });

  // Connect from 127.0.0.9, which is loopback but not in 127.0.0.1/32.
  const r = await swaksVia(s.listenPort, 'spammer@test.local', 'victim@example.test', [
    '--local-interface',
    '127.0.0.9',
  ]);
  assert.notEqual(r.code, 0);
  assert.match(r.out, /<\*\* 554 5\.7\.1 <victim@example\.test>: Relaying denied/);
  const ev = await petrel.waitForEvents('a rejection record', (e) => e.some((x) => x.type === 'rejection'));
  const rej = ev.find((x) => x.type === 'rejection')!;
  assert.equal(rej.client_ip, '127.0.0.9');
  assert.match(String(rej.reply), /^554 5\.7\.1/);
  assert.equal(ev.filter((x) => x.type === 'reception').length, 0, 'nothing was accepted');

  // The same client from 127.0.0.1 may relay.
  const ok = await swaksVia(s.listenPort, 'a@test.local', 'bob@example.test', ['--local-interface', '127.0.0.1']);
  assert.equal(ok.code, 0, ok.out);
});
