import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { scenario } from '../lib/scenario.js';
import { startPetrel, testConfig } from '../lib/petrel.js';
import { swaks } from '@petrel/testkit';

test('a client outside relay_networks gets 554 5.7.1 and a rejection record', async (t) => {
  const s = await scenario(t);
  const petrel = await startPetrel(
    join(s.dir, 'petrel'),
    testConfig({
      listenPort: s.listenPort,
      dnsServer: s.dns.server,
      remotePort: s.mxPort,
      relayNetworks: ['127.0.0.1/32'],
    }),
    s.listenPort,
  );
  s.defer(() => petrel.stop());

  // Connect from 127.0.0.9, which is loopback but not in 127.0.0.1/32.
  const r = await swaks([
    '--server',
    `127.0.0.1:${s.listenPort}`,
    '--local-interface',
    '127.0.0.9',
    '--from',
    'spammer@test.local',
    '--to',
    'victim@example.test',
  ]);
  assert.notEqual(r.code, 0);
  assert.match(r.out, /<\*\* 554 5\.7\.1 <victim@example\.test>: Relaying denied/);
  const ev = await petrel.waitForEvents('a rejection record', (e) => e.some((x) => x.type === 'rejection'));
  const rej = ev.find((x) => x.type === 'rejection')!;
  assert.equal(rej.client_ip, '127.0.0.9');
  assert.match(String(rej.reply), /^554 5\.7\.1/);
  assert.equal(ev.filter((x) => x.type === 'reception').length, 0, 'nothing was accepted');

  // The same client from 127.0.0.1 may relay.
  const ok = await swaks([
    '--server',
    `127.0.0.1:${s.listenPort}`,
    '--local-interface',
    '127.0.0.1',
    '--from',
    'a@test.local',
    '--to',
    'bob@example.test',
  ]);
  assert.equal(ok.code, 0, ok.out);
});
