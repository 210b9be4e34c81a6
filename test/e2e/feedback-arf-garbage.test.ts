import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, startAio, submitWithSmtplib, waitFor } from '@petrel/testkit';
import { scenario } from '../lib/scenario.js';
import { swaksVia } from '../lib/submit.js';
import { returnPathConfig, startScenarioPetrel } from '../lib/petrel.js';
import { petrelCli, petrelJson } from '../lib/cli.js';

interface Entry {
  address: string;
  scope: string;
  reason: string;
}

/** An RFC 5965 report as an ISP sends it: the reported message's header section comes back whole. */
function arfReport(originalHeaders: string): string {
  return [
    'From: <fbl@isp.test>',
    'To: <fbl@rp.test>',
    'Subject: FW: newsletter',
    'Date: Sun, 6 Dec 2026 09:00:00 +0000',
    'Message-ID: <report-1@isp.test>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=feedback-report;',
    '\tboundary="arf-boundary"',
    '',
    '--arf-boundary',
    'Content-Type: text/plain; charset="US-ASCII"',
    '',
    'This is an email abuse report for a message received from 127.0.0.1.',
    '',
    '--arf-boundary',
    'Content-Type: message/feedback-report',
    '',
    'Feedback-Type: abuse',
    'User-Agent: IspFbl/2.1',
    'Version: 1',
    'Original-Rcpt-To: <complainer@example.test>',
    'Source-IP: 127.0.0.1',
    '',
    '--arf-boundary',
    'Content-Type: text/rfc822-headers',
    '',
    originalHeaders.trimEnd(),
    '',
    '--arf-boundary--',
    '',
  ].join('\r\n');
}

test('an ARF complaint becomes a feedback record and a suppression; garbage to the bounce domain is kept and recorded; accept_and_fail fails a suppressed recipient as class 25', async (t) => {
  const s = await scenario(t);
  const mx = s.stopAfter(await startAio(s.dir, '127.0.0.2', s.mxPort));
  // Only 127.0.0.1 may relay; the reports come from 127.0.0.9, an internet client.
  const petrel = await startScenarioPetrel(s, returnPathConfig(['suppression_action = "accept_and_fail"']));

  // 1. A newsletter goes out (VERP sender, one recipient per transaction) and is delivered.
  const id = await submitWithSmtplib(s.listenPort, {
    sender: 'news@sender.test',
    recipients: [['complainer@example.test', []]],
    message: 'From: news@sender.test\r\nTo: complainer@example.test\r\nSubject: newsletter\r\n\r\nbuy\r\n',
  });
  const delivered = await waitFor('the newsletter at the MX', () => mx.messages()[0], 20_000);
  const text = delivered.toString('utf8');
  const headerSection = text.slice(text.indexOf('\r\n', text.indexOf('X-Env-To')) + 2, text.indexOf('\r\n\r\n'));
  assert.match(headerSection, /Received: .*\(Petrel\)/s);
  const verpFrom = /^X-Env-From: <?(b\+[^>\s]+?)>?(?: |$)/m.exec(text)?.[1];
  assert.ok(verpFrom?.endsWith('@rp.test'), `a VERP envelope sender: ${text.slice(0, 200)}`);

  // 2. The ISP reports a complaint (swaks, from a client that may not relay): relay is refused
  // for this client, the return-path domain is not.
  const arfFile = join(s.dir, 'arf.eml');
  writeFileSync(arfFile, arfReport(`Return-Path: <${verpFrom}>\r\n${headerSection}`));
  const denied = await swaksVia(s.listenPort, 'fbl@isp.test', 'x@example.test', [
    '-li',
    '127.0.0.9',
    '--quit-after',
    'RCPT',
  ]);
  assert.match(denied.out, /554 5\.7\.1 <x@example\.test>: Relaying denied/);
  const sent = await swaksVia(s.listenPort, '', 'fbl@rp.test', ['-li', '127.0.0.9', '--data', arfFile]);
  assert.equal(sent.code, 0, sent.out);
  const ev = await petrel.waitForEvents('the feedback record', (e) => e.some((x) => x.type === 'feedback'));
  const fb = ev.find((x) => x.type === 'feedback')!;
  assert.equal(fb.feedback_type, 'abuse');
  assert.equal(fb.recipient, 'complainer@example.test');
  assert.equal(fb.message_id, id, 'tied to the original by the VERP Return-Path it carried');
  assert.equal(fb.tied_by, 'verp');
  assert.equal(fb.user_agent, 'IspFbl/2.1');
  assert.equal(fb.suppressed, true);
  assert.ok(!ev.some((x) => x.type === 'reception' && x.recipient === 'fbl@rp.test'), 'never spooled for relay');

  // 3. Garbage to the bounce domain: 250 after it is kept on disk, an unparsed_report record says where.
  const garbage = Buffer.concat([
    Buffer.from('Subject: \x01\x02 not a report\r\nContent-Type: multipart/report; boundary="\r\n\r\nGARBAGE-MARKER '),
    Buffer.from([0xff, 0xfe, 0x00, 0x80]),
    Buffer.from('\r\n--\r\n'),
  ]);
  const py = await run(
    '/usr/bin/python3',
    [
      '-c',
      `import smtplib,sys\ns=smtplib.SMTP('127.0.0.1',${s.listenPort},source_address=('127.0.0.9',0))\ns.sendmail('', ['junk@rp.test'], bytes.fromhex(sys.argv[1]))\ns.quit()`,
      garbage.toString('hex'),
    ],
    { timeoutMs: 20_000 },
  );
  assert.equal(py.code, 0, py.stdout + py.stderr);
  const ev2 = await petrel.waitForEvents('the unparsed record', (e) => e.some((x) => x.type === 'unparsed_report'));
  const un = ev2.find((x) => x.type === 'unparsed_report')!;
  assert.ok(typeof un.reason === 'string' && un.reason.length > 0);
  const kept = String(un.stored_at);
  assert.ok(existsSync(kept), kept);
  assert.ok(readFileSync(kept).includes(garbage.subarray(garbage.indexOf('GARBAGE-MARKER'))), 'kept byte for byte');

  // 4. accept_and_fail: the suppressed recipient is accepted, then failed as 25 Admin Failure;
  // the other recipient is delivered.
  const id2 = await submitWithSmtplib(s.listenPort, {
    sender: 'news@sender.test',
    recipients: [
      ['complainer@example.test', []],
      ['fine@example.test', []],
    ],
    message: 'From: news@sender.test\r\nSubject: second\r\n\r\nagain\r\n',
  });
  const ev3 = await petrel.waitForEvents(
    'the class 25 failure and the other delivery',
    (e) =>
      e.some((x) => x.type === 'permanent_failure' && x.message_id === id2) &&
      e.some((x) => x.type === 'delivery' && x.message_id === id2),
  );
  const pf = ev3.filter((x) => x.type === 'permanent_failure' && x.message_id === id2);
  assert.deepEqual(
    pf.map((x) => [x.recipient, x.bounce_class, x.reply]),
    [['complainer@example.test', 25, '550 5.7.1 <complainer@example.test>: recipient suppressed']],
  );
  assert.deepEqual(
    ev3.filter((x) => x.type === 'delivery' && x.message_id === id2).map((x) => x.recipient),
    ['fine@example.test'],
  );

  // 5. The CLI: add, list, export, remove, import (CSV); /metrics counts.
  assert.equal((await petrelCli(petrel, ['suppression', 'add', '@blocked.test', '--reason', 'manual'])).code, 0);
  const bad = await petrelCli(petrel, ['suppression', 'add', 'not-an-address']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /not an address/);
  const list = await petrelJson<Entry[]>(petrel, ['suppression', 'list']);
  assert.deepEqual(list.map((e) => [e.address, e.reason]).sort(), [
    ['@blocked.test', 'manual'],
    ['complainer@example.test', 'complaint'],
  ]);
  const csv = join(s.dir, 'suppression.csv');
  assert.equal((await petrelCli(petrel, ['suppression', 'export', csv])).code, 0);
  const exported = readFileSync(csv, 'utf8');
  assert.match(exported, /^address,scope,reason,bounce_class,source,created_at\n/);
  assert.equal((await petrelCli(petrel, ['suppression', 'remove', 'complainer@example.test'])).code, 0);
  assert.equal((await petrelJson<Entry[]>(petrel, ['suppression', 'list'])).length, 1);
  writeFileSync(join(s.dir, 'bad.csv'), 'ok@example.test\nnope\n');
  const badImport = await petrelCli(petrel, ['suppression', 'import', join(s.dir, 'bad.csv')]);
  assert.equal(badImport.code, 1);
  assert.match(badImport.stderr, /bad\.csv:2: not an address/);
  assert.equal(
    (await petrelJson<Entry[]>(petrel, ['suppression', 'list'])).length,
    1,
    'nothing of a bad file imported',
  );
  const imported = await petrelCli(petrel, ['suppression', 'import', csv]);
  assert.equal(imported.code, 0, imported.stderr);
  const after = await petrelJson<Entry[]>(petrel, ['suppression', 'list']);
  assert.deepEqual(after.map((e) => [e.address, e.reason]).sort(), list.map((e) => [e.address, e.reason]).sort());
  const sock = join(petrel.dir, 'spool', 'control.sock');
  const metrics = (await run('curl', ['-sS', '--unix-socket', sock, 'http://petrel/metrics'], { timeoutMs: 20_000 }))
    .stdout;
  assert.match(metrics, /petrel_suppression_entries\{reason="complaint"\} 1/);
  assert.match(metrics, /petrel_suppression_entries\{reason="manual"\} 1/);
  assert.match(metrics, /petrel_inbound_reports_total\{kind="feedback"\} 1/);
  assert.match(metrics, /petrel_inbound_reports_total\{kind="unparsed"\} 1/);
  assert.match(metrics, /petrel_suppressed_recipients_failed_total 1/);
});
