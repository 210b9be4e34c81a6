import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scenario } from '../lib/scenario.js';
import { submitWithSmtplib, startAio, waitFor } from '@petrel/testkit';
import { startScenarioPetrel } from '../lib/petrel.js';
import { execFileSync } from 'node:child_process';

/** Python's email package reads the DSN: the top-level CTE, each part's type and CTE, any MIME defects. */
const PARSE = `
import sys, json, email, email.policy
m = email.message_from_bytes(sys.stdin.buffer.read(), policy=email.policy.default)
parts = [[p.get_content_type(), str(p.get("Content-Transfer-Encoding", ""))] for p in m.iter_parts()]
print(json.dumps({"type": m.get_content_type(), "cte": str(m.get("Content-Transfer-Encoding")), "parts": parts,
  "defects": [type(d).__name__ for p in m.walk() for d in p.defects]}))
`;

test('a DSN for an SMTPUTF8 message returns message/global-headers and message/global-delivery-status, says 8bit, and goes out with SMTPUTF8 and BODY=8BITMIME (RFC 6533, RFC 2045 §6.4)', async (t) => {
  const s = await scenario(t);
  const mx = s.stopAfter(await startAio(s.dir, '127.0.0.2', s.mxPort));
  const petrel = await startScenarioPetrel(s);

  const id = await submitWithSmtplib(s.listenPort, {
    sender: 'sénder@example.test',
    mailOptions: ['SMTPUTF8', 'BODY=8BITMIME', 'RET=HDRS'],
    recipients: [['hard-ü@example.test', []]],
    message:
      'From: Sénder <sénder@example.test>\r\nTo: hard-ü@example.test\r\nSubject: grüße\r\nMessage-ID: <utf8-dsn@example.test>\r\n\r\nbody ÿ\r\n',
  });
  await petrel.waitForEvents('the bounce', (e) => e.some((x) => x.type === 'bounce' && x.message_id === id));
  const raw = await waitFor('the DSN at the MX', () => mx.messages().find((m) => m.includes('multipart/report')));
  const envFrom = raw.toString('utf8').split('\r\n')[0]!;
  assert.match(envFrom, /^X-Env-From: <?>? /, 'null reverse-path');
  assert.match(envFrom, /SMTPUTF8/, 'sent with SMTPUTF8');
  assert.match(envFrom, /BODY=8BITMIME/, 'sent with BODY=8BITMIME');
  const msg = raw.subarray(raw.indexOf('\r\n', raw.indexOf('X-Env-To')) + 2);
  const view = JSON.parse(
    execFileSync('/usr/bin/python3', ['-c', PARSE], { input: msg, timeout: 20_000 }).toString(),
  ) as { type: string; cte: string; parts: [string, string][]; defects: string[] };
  assert.equal(view.type, 'multipart/report');
  assert.equal(view.cte, '8bit', 'RFC 2045 §6.4: an 8bit part makes the multipart 8bit');
  assert.deepEqual(
    view.parts.map((p) => p[0]),
    ['text/plain', 'message/global-delivery-status', 'message/global-headers'],
  );
  assert.deepEqual(view.defects, []);
  assert.match(
    msg.toString('utf8'),
    /Content-Type: message\/global-delivery-status\r\nContent-Transfer-Encoding: 8bit\r\n[\s\S]*Final-Recipient: utf-8;hard-ü@example\.test/,
    'the UTF-8 address as it is',
  );
  assert.match(
    msg.toString('utf8'),
    /Content-Type: message\/global-headers\r\nContent-Transfer-Encoding: 8bit\r\n\r\n[\s\S]*Subject: grüße/,
  );
});
