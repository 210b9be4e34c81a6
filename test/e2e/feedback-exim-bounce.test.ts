import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startAio, startEximInstance, submitWithSmtplib } from '@petrel/testkit';
import { scenario } from '../lib/scenario.js';
import { returnPathConfig, startScenarioPetrel } from '../lib/petrel.js';
import { petrelJson } from '../lib/cli.js';
import { eximRoutes } from '../lib/feedback.js';

test('real Exim bounces to the VERP return path: a router failure gives its reason only in the text, a refused MAIL FROM refuses the sender', async (t) => {
  const s = await scenario(t);
  // The next hop Exim relays "relayed@" to refuses the envelope sender at MAIL FROM, with words a
  // recipient refusal also uses: only the command tells the two apart.
  const nextPort = await freePort('127.0.0.4');
  const refuse = join(s.dir, 'refuse-mail-from');
  writeFileSync(refuse, '553 5.1.1 <sender>... User unknown\n');
  s.stopAfter(await startAio(s.dir, '127.0.0.4', nextPort, ['--defer-file', refuse]));
  // The MX of example.test is a real Exim that accepts every RCPT and routes afterwards: "gone" is
  // failed by a redirect router (Exim's DSN fields then carry only Status: 5.0.0; the reason,
  // "Unknown user", is in the human part), "relayed" goes to the next hop. Bounces go to the VERP
  // address at rp.test, which Exim sends to Petrel.
  const mx = s.stopAfter(
    await startEximInstance(join(s.dir, 'exim-mx'), '127.0.0.2', s.mxPort, {
      hostname: 'mx1.example.test',
      ...eximRoutes(s.listenPort, nextPort, {
        between: [
          'gone:',
          '  driver = redirect',
          '  domains = example.test',
          '  local_parts = gone',
          '  data = :fail: Unknown user',
          '  allow_fail',
        ],
        localParts: 'relayed',
      }),
    }),
  );
  const petrel = await startScenarioPetrel(s, returnPathConfig(['verp_secret = "e2e-secret"']));

  const id = await submitWithSmtplib(s.listenPort, {
    sender: 'news@sender.test',
    recipients: [
      ['gone@example.test', []],
      ['relayed@example.test', []],
    ],
    message:
      'From: news@sender.test\r\nTo: gone@example.test\r\nSubject: exim\r\nMessage-ID: <x1@sender.test>\r\n\r\nhello\r\n',
  });
  const ev = await petrel.waitForEvents(
    'the two out-of-band bounces from Exim',
    (e) => e.filter((x) => x.type === 'out_of_band' && x.message_id === id).length === 2,
    60_000,
  );
  const log = mx.mainlog();
  assert.match(log, /\*\* gone@example\.test R=gone: Unknown user/, 'Exim failed "gone" itself');
  assert.match(log, /\*\* relayed@example\.test .*after MAIL FROM:.*553 5\.1\.1/, 'the next hop refused MAIL FROM');
  assert.match(log, /=> b\+\S+@rp\.test .*R=to_petrel/, 'Exim sent its bounces to the VERP address at Petrel');

  const oob = (rcpt: string) => ev.find((x) => x.type === 'out_of_band' && x.recipient === rcpt)!;
  const gone = oob('gone@example.test');
  assert.equal(gone.report_format, 'rfc3464');
  assert.equal(gone.tied_by, 'verp');
  assert.equal(gone.action, 'failed');
  assert.equal(gone.bounce_class, 10, String(gone.reply));
  assert.match(String(gone.reply), /Unknown user/);
  assert.equal(gone.suppressed, true);

  // 553 5.1.1 "User unknown" at MAIL FROM is about the sender: Admin (25), and the recipient stays.
  const relayed = oob('relayed@example.test');
  assert.equal(relayed.bounce_class, 25, String(relayed.reply));
  assert.ok(!relayed.suppressed, 'a refused sender suppresses no recipient');

  const list = await petrelJson<{ address: string; reason: string }[]>(petrel, ['suppression', 'list']);
  assert.deepEqual(
    list.map((e) => [e.address, e.reason]),
    [['gone@example.test', 'out_of_band']],
  );
});
