/**
 * Petrel → Postfix (a real destination that advertises CHUNKING, PIPELINING and STARTTLS): the body
 * goes by BDAT (RFC 3030) when use_chunking is on (the default), by DATA where a domain turns it off.
 * What Postfix read is taken from its own log (debug_peer_list) and its hold queue (postcat).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import nodemailer from 'nodemailer';
import { scenario } from '../lib/scenario.js';
import { startScenarioPetrel } from '../lib/petrel.js';
import { startPostfixDestination, type HeldMessage, type WireSession } from '@petrel/testkit';

/** @petrel/smtp-client's BDAT_CHUNK (the test package depends on core and the app only). */
const BDAT_CHUNK = 256 * 1024;

/** A message over several BDAT chunks, with lines that dot-stuffing would change (BDAT has none). */
function message(to: string, subject: string, lines: number): string {
  const body: string[] = [];
  for (let i = 0; i < lines; i++)
    body.push(
      i % 1000 === 0 ? `.${i} a leading dot, sent as is by BDAT, stuffed by DATA` : `line ${i} ${'x'.repeat(60)}`,
    );
  return [
    `From: a@test.local`,
    `To: ${to}`,
    `Subject: ${subject}`,
    `Message-ID: <${subject}@test.local>`,
    '',
    ...body,
    '',
  ].join('\r\n');
}

/** The submitted message's part of what Postfix stored: from our From: on (after both Received headers). */
function fromOurHeaders(m: HeldMessage): string {
  return m.content.slice(m.content.indexOf('From: a@test.local'));
}

test('Petrel sends the body to Postfix in BDAT chunks over STARTTLS, and by DATA where use_chunking = false', {
  timeout: 25_000,
}, async (t) => {
  const s = await scenario(t, ['mx-host=nochunk.test,mx1.example.test,10']);
  const postfix = s.stopAfter(
    await startPostfixDestination(s.dir, {
      host: '127.0.0.2',
      port: s.mxPort,
      domains: ['example.test', 'nochunk.test'],
      tls: true,
    }),
  );
  const petrel = await startScenarioPetrel(s, {
    extra: '[domain."nochunk.test"]\nuse_chunking = false\n',
  });

  const chunked = message('bob@example.test', 'chunked', 9000); // ~650 KB: three BDAT chunks
  const plain = message('carol@nochunk.test', 'plain', 2000);
  assert.ok(chunked.length > 2 * BDAT_CHUNK);
  const mailer = nodemailer.createTransport({ host: '127.0.0.1', port: s.listenPort, secure: false, ignoreTLS: true });
  s.defer(() => mailer.close());
  await mailer.sendMail({ envelope: { from: 'a@test.local', to: ['bob@example.test'] }, raw: chunked });
  await mailer.sendMail({ envelope: { from: 'a@test.local', to: ['carol@nochunk.test'] }, raw: plain });

  const events = await petrel.waitForEvents(
    'two deliveries',
    (e) => e.filter((x) => x.type === 'delivery').length === 2,
  );
  const held = await postfix.waitForHeld(2);
  const sessions = postfix.sessions();
  const sessionOf = (rcpt: string): WireSession => {
    const found = sessions.find((x) => x.commands.some((c) => c.startsWith(`RCPT TO:<${rcpt}>`)));
    assert.ok(found, `no smtpd session with RCPT TO:<${rcpt}> in:\n${postfix.maillog()}`);
    return found;
  };

  // example.test: STARTTLS, EHLO again, then MAIL, RCPT and the body in BDAT chunks, the last one LAST.
  const bdat = sessionOf('bob@example.test');
  const cmds = bdat.commands.map((c) => c.replace(/^(MAIL FROM:<[^>]*>).*$/, '$1'));
  const mail = cmds.indexOf('MAIL FROM:<a@test.local>');
  assert.deepEqual(cmds.slice(0, 3), ['EHLO petrel.test', 'STARTTLS', 'EHLO petrel.test'], bdat.commands.join('\n'));
  assert.ok(mail > 2, 'MAIL after the second EHLO');
  const chunks = cmds.slice(mail + 2).filter((c) => c.startsWith('BDAT '));
  assert.equal(chunks.length, 3, cmds.join('\n'));
  assert.deepEqual(chunks.slice(0, 2), [`BDAT ${BDAT_CHUNK}`, `BDAT ${BDAT_CHUNK}`]);
  assert.match(chunks[2]!, /^BDAT \d+ LAST$/);
  assert.ok(!cmds.includes('DATA'), 'no DATA when CHUNKING is used');
  const total = chunks.reduce((n, c) => n + Number(c.split(' ')[1]), 0);
  const final = bdat.lines.find((l) => l.dir === '>' && /^250 2\.0\.0 Ok: \d+ bytes queued as \w+/.test(l.line));
  assert.ok(final, 'Postfix accepted the BDAT LAST');
  assert.equal(final.line.split(' ')[3], String(total), 'Postfix counted every octet of the chunks');
  assert.match(postfix.maillog(), /Anonymous TLS connection established from \S+\[127\.0\.0\.1\]/);

  // nochunk.test: DATA, never BDAT, though CHUNKING is advertised.
  const data = sessionOf('carol@nochunk.test');
  assert.ok(data.commands.includes('DATA'), data.commands.join('\n'));
  assert.ok(!data.commands.some((c) => c.startsWith('BDAT')), 'no BDAT with use_chunking = false');
  assert.ok(
    data.lines.some((l) => l.dir === '>' && l.line === '250 CHUNKING'),
    'CHUNKING was advertised all the same',
  );

  // Both stored byte for byte (Postfix keeps LF line ends): the leading dots are not doubled.
  const byQueueId = new Map(held.map((m) => [m.queueId, m]));
  for (const [rcpt, sent] of [
    ['bob@example.test', chunked],
    ['carol@nochunk.test', plain],
  ] as const) {
    const delivery = events.find((e) => e.type === 'delivery' && e.recipient === rcpt);
    assert.ok(delivery, `delivery record for ${rcpt}`);
    assert.equal(delivery.remote_ip, '127.0.0.2');
    const qid = /queued as (\w+)/.exec(String(delivery.reply))?.[1];
    const stored = byQueueId.get(qid ?? '');
    assert.ok(stored, `Postfix holds the queue id Petrel logged (${String(delivery.reply)})`);
    assert.ok(stored.envelope.includes(`recipient: ${rcpt}`), stored.envelope.join('\n'));
    assert.equal(fromOurHeaders(stored), sent.replace(/\r\n/g, '\n').replace(/\n$/, ''));
  }
});
