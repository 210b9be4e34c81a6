import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scenario } from '../lib/scenario.js';
import { swaksVia } from '../lib/submit.js';
import { startScenarioPetrel } from '../lib/petrel.js';

test('a null MX domain (RFC 7505) fails permanently with 556 5.1.10 without any connection', async (t) => {
  const s = await scenario(t);
  const petrel = await startScenarioPetrel(s);

  const r = await swaksVia(s.listenPort, 'a@test.local', 'bob@nullmx.test');
  assert.equal(r.code, 0, r.out);
  const id = /queued as (\S+)/.exec(r.out)![1]!;
  const ev = await petrel.waitForEvents('a permanent failure', (e) =>
    e.some((x) => x.type === 'permanent_failure' && x.message_id === id),
  );
  const pf = ev.find((x) => x.type === 'permanent_failure' && x.message_id === id)!;
  assert.equal(pf.reply, '556 5.1.10 [internal] Recipient address has null MX');
  assert.equal(pf.remote_ip ?? undefined, undefined, 'no host was contacted');
  assert.equal(
    ev.filter((x) => x.message_id === id && (x.type === 'transient_failure' || x.type === 'delivery')).length,
    0,
  );
});
