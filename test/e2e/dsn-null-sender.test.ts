import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scenario } from '../lib/scenario.js';
import { swaksVia } from '../lib/submit.js';
import { startScenarioPetrel } from '../lib/petrel.js';
import { startAio, run } from '@petrel/testkit';

test('a permanent failure of mail from <> gives no DSN (no bounce loops), while the same failure from a sender does', async (t) => {
  const s = await scenario(t);
  s.stopAfter(await startAio(s.dir, '127.0.0.2', s.mxPort));
  const petrel = await startScenarioPetrel(s);

  // swaks replaces an empty --from with a default sender; smtplib sends MAIL FROM:<> as asked.
  const py =
    "import smtplib,sys\ns=smtplib.SMTP('127.0.0.1',int(sys.argv[1]))\ns.ehlo('client.test')\nprint(s.sendmail('', ['hard1@example.test'], b'Subject: from null\\r\\n\\r\\nx\\r\\n') or '')\nprint(s.noop())\ns.quit()";
  const nul = await run('/usr/bin/python3', ['-c', py, String(s.listenPort)], { timeoutMs: 20_000 });
  assert.equal(nul.code, 0, nul.stdout + nul.stderr);
  await petrel.waitForEvents('the null-sender reception', (e) =>
    e.some((x) => x.type === 'reception' && x.sender === '' && x.recipient === 'hard1@example.test'),
  );
  const nullId = String(
    petrel.events().find((x) => x.type === 'reception' && x.sender === '' && x.recipient === 'hard1@example.test')!
      .message_id,
  );
  const first = await petrel.waitForEvents('the null-sender failure', (e) =>
    e.some((x) => x.type === 'permanent_failure' && x.message_id === nullId),
  );
  assert.equal(first.find((x) => x.type === 'reception' && x.message_id === nullId)?.sender, '', 'submitted from <>');
  // The control message fails the same way after it; once its bounce is logged, any bounce of the first would be too.
  const ctl = await swaksVia(s.listenPort, 'sender@example.test', 'hard2@example.test');
  assert.equal(ctl.code, 0, ctl.out);
  const ctlId = /queued as (\S+)/.exec(ctl.out)![1]!;
  const ev = await petrel.waitForEvents('the control DSN', (e) =>
    e.some((x) => x.type === 'bounce' && x.message_id === ctlId),
  );
  assert.equal(ev.filter((x) => x.type === 'bounce' && x.message_id === nullId).length, 0);
  assert.equal(ev.filter((x) => x.type === 'bounce').length, 1);
});
