/**
 * Postfix relaying into Petrel: Postfix's SMTP client pipelines, uses STARTTLS when Petrel offers
 * it and passes the DSN parameters of the original submission.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import type { MessageEnvelope } from '@petrel/core';
import { scenario, type Scenario } from '../lib/scenario.js';
import { type PetrelHandle, scenarioConfig, startScenarioPetrel } from '../lib/petrel.js';
import { sinkBody, startSink, startPostfix, type Postfix, waitFor, run, writeCertificate } from '@petrel/testkit';

/** Submits one message to Postfix with DSN parameters (python smtplib). */
const SUBMIT = `
import smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), local_hostname='submitter.test')
s.sendmail('alice@test.local', ['bob@example.test'], b'Subject: via postfix\\r\\n\\r\\nhello\\r\\n',
    mail_options=['RET=HDRS', 'ENVID=env+2B42'], rcpt_options=['NOTIFY=SUCCESS,FAILURE', 'ORCPT=rfc822;orig@example.test'])
s.quit()
`;

async function petrelBehindPostfix(
  s: Scenario,
  global = '',
): Promise<{ petrel: PetrelHandle; postfix: Postfix; dir: string }> {
  const dir = join(s.dir, 'petrel');
  await run('mkdir', ['-p', dir]);
  writeCertificate(dir, 'petrel.test');
  const toml = scenarioConfig(s, { global }).replace(
    'max_message_size = "10MB"',
    'max_message_size = "10MB"\ntls_certificate = "cert.pem"\ntls_key = "key.pem"',
  );
  const petrel = await startScenarioPetrel(s, toml, dir);
  const postfix = s.stopAfter(
    await startPostfix(s.dir, { mode: 'relay', relayHost: { host: '127.0.0.1', port: s.listenPort } }),
  );
  return { petrel, postfix, dir };
}

test('smtp-source and smtplib → Postfix → Petrel (over STARTTLS) → smtp-sink: all delivered', {
  timeout: 25_000,
}, async (t) => {
  const s = await scenario(t);
  const sink = s.stopAfter(await startSink(s.dir, '127.0.0.2', s.mxPort));
  const { postfix } = await petrelBehindPostfix(s);
  const src = await run('smtp-source', [
    '-s',
    '2',
    '-m',
    '10',
    '-l',
    '1000',
    '-M',
    'test.local',
    '-f',
    'a@test.local',
    '-t',
    'bob@example.test',
    `127.0.0.1:${postfix.port}`,
  ]);
  assert.equal(src.code, 0, src.stderr);
  const py = await run('/usr/bin/python3', ['-c', SUBMIT, String(postfix.port)]);
  assert.equal(py.code, 0, py.stderr);
  const msgs = await waitFor(
    '11 messages at the sink',
    () => (sink.messages().length >= 11 ? sink.messages() : undefined),
    20_000,
    100,
  );
  assert.equal(msgs.length, 11);
  // Petrel can pass a message on before Postfix has removed its own queue file after our 250.
  await waitFor('Postfix to empty its queue (everything handed to Petrel)', () => postfix.queued() === 0, 10_000, 50);
  const body = sinkBody(msgs.find((m) => m.includes('Subject: via postfix'))!);
  // Petrel's trace header names Postfix's EHLO, the TLS session and ESMTPS (RFC 3848).
  assert.match(
    body,
    /^Received: from pfx\.test \(\[127\.0\.0\.1\]\)\n\t\(using TLSv1\.[23] with cipher \S+\)\n\tby petrel\.test \(Petrel\) with ESMTPS id /,
  );
  assert.match(postfix.maillog(), /TLS connection established to 127\.0\.0\.1/);
});

test('Postfix passes RET, ENVID, NOTIFY and ORCPT to Petrel, which keeps them in the spooled envelope', {
  timeout: 25_000,
}, async (t) => {
  const s = await scenario(t);
  const { petrel, postfix, dir } = await petrelBehindPostfix(s, 'suspend_delivery = true');
  const py = await run('/usr/bin/python3', ['-c', SUBMIT, String(postfix.port)]);
  assert.equal(py.code, 0, py.stderr);
  await petrel.waitForEvents('the reception', (e) => e.some((x) => x.type === 'reception'));
  await petrel.stop();
  const db = new Database(join(dir, 'spool', 'spool.db'), { readonly: true, fileMustExist: true });
  const rows = db.prepare('SELECT envelope FROM messages').all() as { envelope: string }[];
  db.close();
  assert.equal(rows.length, 1);
  const env = JSON.parse(rows[0]!.envelope) as MessageEnvelope;
  assert.equal(env.ret, 'HDRS');
  assert.equal(env.envid, 'env+42');
  assert.deepEqual(env.recipients[0]?.notify, ['SUCCESS', 'FAILURE']);
  assert.equal(env.recipients[0]?.orcpt, 'rfc822;orig@example.test');
  assert.equal(env.client?.helo, 'pfx.test');
});
