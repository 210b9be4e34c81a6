import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { scenario } from '../lib/scenario.js';
import { swaksVia } from '../lib/submit.js';
import { startAio } from '@petrel/testkit';
import { startScenarioPetrel } from '../lib/petrel.js';

const EXAMPLES = fileURLToPath(new URL('../../../config/policy/examples/', import.meta.url));

// The shipped dsn-notice.mjs example in a real daemon: a remote 550 (aiosmtpd's hard* recipients)
// fires onPermanentFailure, whose inject() stores a notice from <> that is routed and delivered
// like any message and logged as a reception with protocol internal.
test('an observer injects a notice with inject(): logged as reception with protocol internal and delivered', {
  timeout: 120_000,
}, async (t) => {
  const s = await scenario(t, ['mx-host=notice.test,mx.notice.test,10', 'host-record=mx.notice.test,127.0.0.5']);
  const aio = s.stopAfter(await startAio(s.dir, '127.0.0.5', s.mxPort));
  const extra = `\n[[policy]]\nmodule = "${join(EXAMPLES, 'dsn-notice.mjs')}"\n`;
  // No DSN of Petrel's own, so that the only message to the sender is the policy's notice.
  const petrel = await startScenarioPetrel(s, {
    global: 'generate_bounces = false',
    extra,
  });

  const r = await swaksVia(s.listenPort, 'alice@notice.test', 'hard-gone@notice.test');
  assert.equal(r.code, 0, r.out);
  const ev = await petrel.waitForEvents('the notice delivered', (e) =>
    e.some((x) => x.type === 'delivery' && x.recipient === 'alice@notice.test'),
  );
  const internal = ev.filter((x) => x.type === 'reception' && x.protocol === 'internal');
  assert.equal(internal.length, 1, JSON.stringify(ev));
  assert.equal(internal[0]!.sender ?? '', '');
  const notice = aio
    .messages()
    .map((b) => b.toString())
    .find((m) => m.includes('X-Petrel-Notice: permanent-failure'));
  assert.ok(notice, 'the notice reached the destination');
  assert.match(notice, /could not be delivered to <hard-gone@notice\.test>/);
  assert.match(notice, /Remote reply: 550 5\.1\.1 <hard-gone@notice\.test>: user unknown/);
});
