import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { scenario } from '../lib/scenario.js';
import { swaksVia } from '../lib/submit.js';
import { startScenarioPetrel } from '../lib/petrel.js';
import { spoolMessageCount } from '../lib/spool.js';
import { startSink } from '@petrel/testkit';

// generate_bounces = false: the DSN path has its own scenarios (dsn-*.test.ts); here the spool must empty.
test('the MX answers 550 to RCPT: permanent_failure and the message leaves the spool', async (t) => {
  const s = await scenario(t);
  s.stopAfter(await startSink(s.dir, '127.0.0.2', s.mxPort, ['-f', 'RCPT', '-B', '550 5.1.1 No such user']));
  const petrel = await startScenarioPetrel(s, {
    global: 'generate_bounces = false',
  });

  const r = await swaksVia(s.listenPort, 'a@test.local', 'nosuchuser@example.test');
  assert.equal(r.code, 0, r.out);
  const id = /queued as (\S+)/.exec(r.out)![1]!;
  const ev = await petrel.waitForEvents('a permanent failure', (e) =>
    e.some((x) => x.type === 'permanent_failure' && x.message_id === id),
  );
  const pf = ev.find((x) => x.type === 'permanent_failure' && x.message_id === id)!;
  assert.match(String(pf.reply), /^550 5\.1\.1 No such user/);
  assert.equal(pf.stage, 4, 'Momentum stage 4: during RCPT TO');
  assert.equal(ev.filter((x) => x.type === 'transient_failure').length, 0);

  await petrel.stop();
  assert.equal(spoolMessageCount(join(petrel.dir, 'spool')), 0, 'the spool holds no message after a permanent failure');
});
