/**
 * Petrel beside a real OpenSMTPD (6.8, Debian's opensmtpd), a third independent MTA after Postfix
 * and Exim: its SMTP client relays to Petrel over mandatory STARTTLS, its SMTP server takes
 * Petrel's delivery (in plaintext: this build's server-side STARTTLS fails with "EVP lib" for
 * openssl s_client too, with RSA and EC keys alike), and its bounce (multipart/mixed, not
 * multipart/report, with a DSN block that holds only `Status: 5.0.0`: the reason is in the text,
 * RFC 3464 §2.3.4) comes back to Petrel's return-path domain.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startAio, startOpenSmtpdInstance, submitWithSmtplib } from '@petrel/testkit';
import { scenario } from '../lib/scenario.js';
import { returnPathConfig, startScenarioPetrel } from '../lib/petrel.js';
import { firstMaildirMessage, interopBody, interopMessage, startTlsPetrel, submitFrom127005 } from '../lib/interop.js';
import { petrelJson } from '../lib/cli.js';

/** ~290 KB of 8-bit text with dot lines (OpenSMTPD has no CHUNKING: DATA, dot-stuffed, both legs). */
const body = (): string => interopBody(4000);

test('an OpenSMTPD relays to Petrel over STARTTLS and Petrel delivers to an OpenSMTPD: the body arrives byte for byte', {
  timeout: 90_000,
}, async (t) => {
  const s = await scenario(t, ['mx-host=via.test,mx1.example.test,10']);
  const subPort = await freePort('127.0.0.6');
  const osd = s.stopAfter(
    await startOpenSmtpdInstance(
      join(s.dir, 'opensmtpd'),
      [
        // The MX of via.test (Petrel delivers here) and a submission listener (the client's).
        `listen on 127.0.0.2 port ${s.mxPort} hostname mx1.example.test tag MX`,
        `listen on 127.0.0.6 port ${subPort} hostname sub.example.test tag SUB`,
        'table vusers { "jane@via.test" = "nobody" }',
        'action "local" maildir "@MAILDIR@" virtual <vusers>',
        `action "via_petrel" relay host smtp+tls://127.0.0.1:${s.listenPort} tls no-verify`,
        'match from any tag SUB for domain "via.test" action "via_petrel"',
        'match from any tag MX for domain "via.test" action "local"',
      ].join('\n'),
      [
        { host: '127.0.0.2', port: s.mxPort },
        { host: '127.0.0.6', port: subPort },
      ],
    ),
  );
  const petrel = await startTlsPetrel(s);
  await submitFrom127005('127.0.0.6', subPort, interopMessage('opensmtpd interop', 'oi1@sender.test', body()));

  const events = await petrel.waitForEvents(
    'the delivery to OpenSMTPD',
    (e) => e.some((x) => x.type === 'delivery' && x.recipient === 'jane@via.test'),
    45_000,
  );
  const reception = events.find((x) => x.type === 'reception')!;
  assert.equal(reception.sender, 'alice@sender.test');
  assert.equal(events.filter((x) => x.type === 'reception').length, 1, 'OpenSMTPD handed the message over once');

  const file = await firstMaildirMessage(osd.mailDir);
  const stored = readFileSync(file, 'utf8');
  // OpenSMTPD stores with LF line ends; the body after the header section is the submitted one.
  const storedBody = stored.slice(stored.indexOf('\n\n') + 2);
  assert.equal(storedBody, body().replace(/\r\n/g, '\n'), 'the body is the submitted one, byte for byte');
  assert.match(stored, /^Message-ID: <oi1@sender\.test>$/im);
  assert.equal(readdirSync(join(osd.mailDir, 'new')).length, 1, 'one copy');

  const log = osd.log();
  // OpenSMTPD → Petrel: relayed over STARTTLS, accepted (its log gives the TLS session and Petrel's 250).
  assert.match(log, /mta tls ciphers=TLSv1\.[23]:/);
  assert.match(log, /mta delivery .*to=<jane@via\.test> .*relay="127\.0\.0\.1.*result="Ok" stat="250 2\.0\.0 Ok/);
  // Petrel → OpenSMTPD: a second session carried the message in (the first was the client's), and it was stored.
  assert.equal(log.match(/smtp message msgid=\w+ size=\d+ nrcpt=1 proto=ESMTP/g)?.length, 2, log);
  assert.match(log, /mda delivery .*to=<jane@via\.test> .*result=Ok/);
  assert.doesNotMatch(log, /result="?TempFail/, 'nothing was deferred');
});

test('a real OpenSMTPD bounce to the VERP return path is read from its text; its 524 5.2.4 refusal of a virtual user is class 10', {
  timeout: 90_000,
}, async (t) => {
  const s = await scenario(t, ['mx-host=local.test,mx1.example.test,10']);
  // The next hop OpenSMTPD relays "hard…" to refuses it (aio-server.py: hard* → 550 5.1.1).
  const nextPort = await freePort('127.0.0.4');
  s.stopAfter(await startAio(s.dir, '127.0.0.4', nextPort));
  const osd = s.stopAfter(
    await startOpenSmtpdInstance(
      join(s.dir, 'opensmtpd'),
      [
        `listen on 127.0.0.2 port ${s.mxPort} hostname mx1.example.test tag MX`,
        // local.test is a virtual domain with one user: OpenSMTPD refuses any other address at RCPT
        // with "524 5.2.4 Mailing list expansion problem: <…>" (its virtual table expands to nobody).
        'table vusers { "jane@local.test" = "nobody" }',
        'action "local" maildir "@MAILDIR@" virtual <vusers>',
        `action "next" relay host smtp+notls://127.0.0.4:${nextPort}`,
        `action "to_petrel" relay host smtp+notls://127.0.0.1:${s.listenPort}`,
        // Bounces (OpenSMTPD injects them locally) go to the VERP address at rp.test, at Petrel.
        'match from any for domain "rp.test" action "to_petrel"',
        'match from any tag MX for domain "example.test" action "next"',
        'match from any tag MX for domain "local.test" action "local"',
      ].join('\n'),
      [{ host: '127.0.0.2', port: s.mxPort }],
    ),
  );
  const petrel = await startScenarioPetrel(s, returnPathConfig(['verp_secret = "e2e-secret"']));

  const id = await submitWithSmtplib(s.listenPort, {
    sender: 'news@sender.test',
    recipients: [
      ['hardgone@example.test', []],
      ['nouser@local.test', []],
    ],
    message:
      'From: news@sender.test\r\nTo: hardgone@example.test\r\nSubject: osd\r\nMessage-ID: <ob1@sender.test>\r\n\r\nhello\r\n',
  });
  const ev = await petrel.waitForEvents(
    'the out-of-band bounce from OpenSMTPD and its refusal at RCPT',
    (e) =>
      e.some((x) => x.type === 'out_of_band' && x.message_id === id) &&
      e.some((x) => x.type === 'permanent_failure' && x.recipient === 'nouser@local.test'),
    60_000,
  );
  const refused = ev.find((x) => x.type === 'permanent_failure' && x.recipient === 'nouser@local.test')!;
  assert.match(String(refused.reply), /^524 5\.2\.4 Mailing list expansion problem: <nouser@local\.test>/);
  assert.equal(refused.bounce_class, 10, String(refused.reply));
  const log = osd.log();
  assert.match(log, /mta delivery .*to=<hardgone@example\.test> .*result="PermFail"/, 'the next hop refused it');
  assert.match(log, /mta delivery .*from=<> to=<b\+\S+@rp\.test> .*result="Ok"/, 'OpenSMTPD sent its bounce to Petrel');

  // Petrel delivered to OpenSMTPD (a delivery, not a failure), and the failure came back as mail.
  assert.ok(ev.some((x) => x.type === 'delivery' && x.recipient === 'hardgone@example.test'));
  const oob = ev.find((x) => x.type === 'out_of_band' && x.message_id === id)!;
  assert.equal(oob.recipient, 'hardgone@example.test');
  assert.equal(oob.report_format, 'rfc3464');
  assert.equal(oob.tied_by, 'verp');
  assert.equal(oob.action, 'failed');
  // The DSN block says only 5.0.0; the reply is the one the human part gives this recipient.
  assert.match(String(oob.reply), /550 5\.1\.1/);
  assert.equal(oob.bounce_class, 10, String(oob.reply));
  assert.equal(oob.suppressed, true);

  const list = await petrelJson<{ address: string; reason: string }[]>(petrel, ['suppression', 'list']);
  assert.deepEqual(list.map((e) => [e.address, e.reason]).sort(), [
    ['hardgone@example.test', 'out_of_band'],
    ['nouser@local.test', 'hard_bounce'],
  ]);
});
