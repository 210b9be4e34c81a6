import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scenario } from '../lib/scenario.js';
import { swaksQueued } from '../lib/submit.js';
import { startScenarioPetrel, testConfig } from '../lib/petrel.js';
import { startServfailDns } from '../lib/servfail-dns.js';

test('SERVFAIL for the recipient domain is a transient failure 454 4.4.4, retried, never a bounce', async (t) => {
  const s = await scenario(t);
  const dns = s.stopAfter(await startServfailDns());
  const toml = testConfig({
    listenPort: s.listenPort,
    dnsServer: dns.server,
    remotePort: s.mxPort,
    global: 'retry_interval = "1s"',
  });
  const petrel = await startScenarioPetrel(s, toml);

  const id = await swaksQueued(s.listenPort, 'a@test.local', 'bob@broken.test');
  const ev = await petrel.waitForEvents(
    'two transient failures',
    (e) => e.filter((x) => x.type === 'transient_failure' && x.message_id === id).length >= 2,
  );
  const tf = ev.filter((x) => x.type === 'transient_failure' && x.message_id === id);
  for (const x of tf) assert.equal(x.reply, '454 4.4.4 [internal] no MX or A for domain');
  assert.equal(ev.filter((x) => x.type === 'permanent_failure').length, 0);
  assert.ok(
    dns.queries.some((q) => q.endsWith('broken.test')),
    `queries: ${dns.queries.join(', ')}`,
  );
});
