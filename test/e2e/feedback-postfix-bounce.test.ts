import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPostfixInstance, submitWithSmtplib } from '@petrel/testkit';
import { scenario } from '../lib/scenario.js';
import { swaksVia } from '../lib/submit.js';
import { returnPathConfig, startScenarioPetrel } from '../lib/petrel.js';
import { petrelJson } from '../lib/cli.js';

test('a real Postfix bounce to the VERP return path is tied to its message, suppresses the recipient, and the next RCPT gets 550 5.7.1', async (t) => {
  const s = await scenario(t);
  // The MX of example.test is a real Postfix that accepts everything (250) and then finds that
  // "gone" is no local user: its bounce daemon sends an RFC 3464 DSN to the envelope sender, the
  // VERP address at rp.test, which its transport map sends to Petrel.
  const mx = s.stopAfter(
    await startPostfixInstance(join(s.dir, 'postfix-mx'), '127.0.0.2', s.mxPort, [
      'myhostname = mx1.example.test',
      'inet_interfaces = loopback-only',
      'mydestination = example.test',
      'local_recipient_maps =',
      `transport_maps = inline:{ rp.test=smtp:[127.0.0.1]:${s.listenPort} }`,
    ]),
  );
  const petrel = await startScenarioPetrel(
    s,
    returnPathConfig(['verp_secret = "e2e-secret"'], '\n[eventlog]\nbouncelog = true\n'),
  );

  const id = await submitWithSmtplib(s.listenPort, {
    sender: 'news@sender.test',
    recipients: [['gone@example.test', []]],
    message:
      'From: news@sender.test\r\nTo: gone@example.test\r\nSubject: issue 1\r\nMessage-ID: <n1@sender.test>\r\n\r\nhello\r\n',
  });
  const ev = await petrel.waitForEvents(
    'the out-of-band bounce from Postfix',
    (e) => e.some((x) => x.type === 'out_of_band' && x.message_id === id),
    60_000,
  );
  // Petrel delivered it (Postfix said 250): the failure is out of band, not in the SMTP reply.
  assert.ok(ev.some((x) => x.type === 'delivery' && x.message_id === id && x.recipient === 'gone@example.test'));
  const log = mx.maillog();
  assert.match(log, /to=<gone@example\.test>.*status=bounced/, 'Postfix bounced it');
  const verp = /from=<(b\+[^>]+@rp\.test)>/.exec(log)?.[1];
  assert.ok(verp, 'Postfix saw the VERP envelope sender');
  assert.match(verp, new RegExp(`^b\\+${id}\\+[a-z2-7]{8}\\+gone=example_2Etest@rp\\.test$`));
  assert.match(log, new RegExp(`to=<${verp.replace(/[+.]/g, '\\$&')}>.*relay=127\\.0\\.0\\.1.*status=sent`));

  const oob = ev.find((x) => x.type === 'out_of_band' && x.message_id === id)!;
  assert.equal(oob.recipient, 'gone@example.test');
  assert.equal(oob.stage, 21);
  assert.equal(oob.bounce_class, 10);
  assert.equal(oob.action, 'failed');
  assert.equal(oob.report_format, 'rfc3464');
  assert.equal(oob.tied_by, 'verp');
  assert.equal(oob.suppressed, true);
  assert.match(String(oob.reply), /^5\d\d 5\.1\.1 /);
  const bouncelog = readFileSync(join(petrel.dir, 'log', 'bouncelog'), 'utf8');
  assert.match(bouncelog, new RegExp(`@${id}@[^@]*@@B@gone@example\\.test@@@@@21@10@`));

  const list = await petrelJson<{ address: string; reason: string; bounceClass: number; source: string }[]>(petrel, [
    'suppression',
    'list',
  ]);
  assert.deepEqual(
    list.map((e) => [e.address, e.reason, e.bounceClass]),
    [['gone@example.test', 'out_of_band', 10]],
  );
  assert.match(list[0]!.source, new RegExp(id));

  // The next message to that address is refused at RCPT; the other recipient is not.
  const again = await swaksVia(s.listenPort, 'news@sender.test', 'gone@example.test', ['--quit-after', 'RCPT']);
  assert.match(again.out, /<\*\* 550 5\.7\.1 <gone@example\.test>: recipient suppressed/);
  await petrel.waitForEvents('the rejection record', (e) =>
    e.some((x) => x.type === 'rejection' && x.recipient === 'gone@example.test' && /suppressed/.test(String(x.reply))),
  );
});
