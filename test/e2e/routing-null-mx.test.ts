import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scenario } from '../lib/scenario.js';
import { swaksQueued } from '../lib/submit.js';
import { startScenarioPetrel } from '../lib/petrel.js';

test('a null MX domain (RFC 7505) fails permanently with 556 5.1.10 without any connection', async (t) => {
  const s = await scenario(t);
  const petrel = await startScenarioPetrel(s);

  const id = await swaksQueued(s.listenPort, 'a@test.local', 'bob@nullmx.test');
  const { record: pf, events: ev } = await petrel.waitForRecord('permanent_failure', id);
  assert.equal(pf.reply, '556 5.1.10 [internal] Recipient address has null MX');
  assert.equal(pf.remote_ip ?? undefined, undefined, 'no host was contacted');
  assert.equal(
    ev.filter((x) => x.message_id === id && (x.type === 'transient_failure' || x.type === 'delivery')).length,
    0,
  );
});
