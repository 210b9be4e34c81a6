import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { scenario } from '../lib/scenario.js';
import { swaksQueued } from '../lib/submit.js';
import { startScenarioPetrel } from '../lib/petrel.js';
import { spoolMessageCount } from '../lib/spool.js';
import { startSink } from '@petrel/testkit';
import { petrelJson } from '../lib/cli.js';

// generate_bounces = false: the DSN path has its own scenarios (dsn-*.test.ts); here the spool must empty.
test('the MX answers 550 to RCPT: permanent_failure and the message leaves the spool', async (t) => {
  const s = await scenario(t);
  s.stopAfter(await startSink(s.dir, '127.0.0.2', s.mxPort, ['-f', 'RCPT', '-B', '550 5.1.1 No such user']));
  const petrel = await startScenarioPetrel(s, {
    global: 'generate_bounces = false',
  });

  const id = await swaksQueued(s.listenPort, 'a@test.local', 'nosuchuser@example.test');
  const { record: pf, events: ev } = await petrel.waitForRecord('permanent_failure', id);
  assert.match(String(pf.reply), /^550 5\.1\.1 No such user/);
  assert.equal(pf.stage, 4, 'Momentum stage 4: during RCPT TO');
  assert.equal(ev.filter((x) => x.type === 'transient_failure').length, 0);

  await petrel.stop();
  assert.equal(spoolMessageCount(join(petrel.dir, 'spool')), 0, 'the spool holds no message after a permanent failure');
});

// RFC 5321 §3.3: MAIL names only the sender. A receiver that answers MAIL FROM with words a rule
// reads as an unknown address is refusing our sender: 25 Admin Failure, and the recipients, whom
// no reply named, must not land on the suppression list (suppress_hard_failures is on by default).
test('the MX refuses MAIL FROM as an unknown address: class 25, stage 2, and the recipient is not suppressed', async (t) => {
  const s = await scenario(t);
  s.stopAfter(
    await startSink(s.dir, '127.0.0.2', s.mxPort, ['-f', 'MAIL', '-B', '550 5.1.1 <a@test.local>: no such user here']),
  );
  const petrel = await startScenarioPetrel(s, { global: 'generate_bounces = false' });

  const id = await swaksQueued(s.listenPort, 'a@test.local', 'someone@example.test');
  const { record: pf } = await petrel.waitForRecord('permanent_failure', id);
  assert.match(String(pf.reply), /^550 5\.1\.1 <a@test\.local>: no such user here/);
  assert.equal(pf.stage, 2, 'Momentum stage 2: during MAIL FROM');
  assert.equal(pf.bounce_class, 25, 'the sender was refused, not the recipient');
  assert.deepEqual(await petrelJson<unknown[]>(petrel, ['suppression', 'list']), []);
});
