/**
 * Mail-loop detection (RFC 5321 §6.3) through the real daemon: python smtplib sends a message
 * with 60 Received: headers (refused 554 5.4.6 at the default hopcount_limit of 50, and logged as
 * a rejection) and one with 10 (accepted).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scenario } from '../lib/scenario.js';
import { startScenarioPetrel } from '../lib/petrel.js';
import { run } from '@petrel/testkit';

const SEND = `
import smtplib, sys
hops = int(sys.argv[2])
msg = ''.join('Received: from hop%d.example.test by hop%d.example.test; Thu, 1 Jan 2026 00:00:00 +0000\\r\\n' % (i, i + 1) for i in range(hops))
msg += 'From: <a@example.test>\\r\\nSubject: hops\\r\\n\\r\\nbody\\r\\n'
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=20)
s.ehlo('client.test')
s.mail('a@example.test')
s.rcpt('x@example.test')
code, text = s.data(msg.encode())
print(code, text.decode())
s.quit()
`;

test('smtplib: 60 Received: headers get 554 5.4.6 Too many hops (60 > 50); 10 are accepted', {
  timeout: 40_000,
}, async (t) => {
  const s = await scenario(t);
  const petrel = await startScenarioPetrel(s, {
    global: 'suspend_delivery = true',
  });
  const send = (hops: number) =>
    run('/usr/bin/python3', ['-c', SEND, String(s.listenPort), String(hops)], { timeoutMs: 20_000 });

  const loop = await send(60);
  assert.equal(loop.code, 0, loop.stdout + loop.stderr);
  assert.equal(loop.stdout.trim(), '554 5.4.6 Too many hops (60 > 50): mail loop?');
  const events = await petrel.waitForEvents('the rejection in the event log', (e) =>
    e.some((x) => /5\.4\.6/.test(String(x.reply))),
  );
  assert.ok(events.some((x) => x.type !== undefined && /Too many hops/.test(String(x.reply))));

  const fine = await send(10);
  assert.equal(fine.code, 0, fine.stdout + fine.stderr);
  assert.match(fine.stdout, /^250 2\.0\.0 Ok: queued as /);
});
