/**
 * smtp-server (npm, nodemailer's server side; PIPELINING, STARTTLS, no CHUNKING) as the MX:
 * Petrel reuses one connection for several messages (STARTTLS once, RSET between messages, the
 * idle connection picked up again) and every body arrives byte for byte through DATA
 * dot-stuffing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SMTPServer } from 'smtp-server';
import { scenario } from '../lib/scenario.js';
import { listenerTransport } from '../lib/submit.js';
import { startScenarioPetrel } from '../lib/petrel.js';
import { waitFor } from '@petrel/testkit';

interface Received {
  readonly sessionId: string;
  readonly secure: boolean;
  readonly from: string;
  readonly to: string[];
  readonly data: Buffer;
}

function message(n: number): string {
  return [
    'From: a@test.local',
    `To: rcpt${n}@example.test`,
    `Subject: message ${n}`,
    `Message-ID: <m${n}@test.local>`,
    '',
    `Body of message ${n}.`,
    '.a line with a leading dot',
    '..two of them',
    '.',
    'a lone dot above must not end the data',
    '',
  ].join('\r\n');
}

test('Petrel delivers five messages to smtp-server over one STARTTLS connection, each body byte for byte', {
  timeout: 25_000,
}, async (t) => {
  const s = await scenario(t);
  const connections: string[] = [];
  const received: Received[] = [];
  const server = new SMTPServer({
    disableReverseLookup: true,
    authOptional: true,
    logger: false,
    onConnect(session, cb) {
      connections.push(session.id);
      cb();
    },
    onData(stream, session, cb) {
      const parts: Buffer[] = [];
      stream.on('data', (d: Buffer) => parts.push(d));
      stream.on('end', () => {
        received.push({
          sessionId: session.id,
          secure: session.secure,
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          data: Buffer.concat(parts),
        });
        cb(null, 'Ok: collected');
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(s.mxPort, '127.0.0.2', () => resolve());
  });
  s.defer(() => new Promise<void>((resolve) => server.close(() => resolve())));

  // One outbound connection at most, kept idle long enough to be reused for the later messages.
  const petrel = await startScenarioPetrel(s, {
    global: 'idle_timeout = "15s"\nmax_outbound_connections = 1',
  });
  const mailer = listenerTransport(s.listenPort, { pool: true, maxConnections: 1 });
  s.defer(() => mailer.close());
  const send = (n: number) =>
    mailer.sendMail({ envelope: { from: 'a@test.local', to: [`rcpt${n}@example.test`] }, raw: message(n) });

  // The first alone (the connection then idles), the other four in a burst (RSET between them).
  await send(1);
  await waitFor('the first message at smtp-server', () => received.length === 1, 15_000);
  await Promise.all([2, 3, 4, 5].map(send));
  await waitFor('five messages at smtp-server', () => received.length === 5, 15_000);
  const events = await petrel.waitForEvents(
    'five delivery records',
    (e) => e.filter((x) => x.type === 'delivery').length === 5,
  );

  assert.equal(connections.length, 1, `one connection, got ${connections.length}`);
  assert.deepEqual([...new Set(received.map((r) => r.sessionId))], connections);
  assert.ok(
    received.every((r) => r.secure),
    'STARTTLS was used (smtp-server offers it, tls = "ifavailable")',
  );
  for (let n = 1; n <= 5; n++) {
    const got = received.find((r) => r.to[0] === `rcpt${n}@example.test`);
    assert.ok(got, `message ${n} arrived`);
    assert.equal(got.from, 'a@test.local');
    assert.deepEqual(got.to, [`rcpt${n}@example.test`]);
    // Petrel's Received header first, then exactly what was submitted (CRLF, dots unstuffed).
    const text = got.data.toString('utf8');
    assert.match(text, /^Received: from \S+ \(\[127\.0\.0\.1\]\)\r\n\tby petrel\.test \(Petrel\) with ESMTP id /);
    assert.equal(text.slice(text.indexOf('From: a@test.local')), message(n));
  }
  const ids = new Set(events.filter((e) => e.type === 'delivery').map((e) => e.connection_id));
  assert.equal(ids.size, 1, `one connection id in the delivery records: ${[...ids].join(', ')}`);
});
