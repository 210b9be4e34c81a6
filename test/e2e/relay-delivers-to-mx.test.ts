import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scenario } from '../lib/scenario.js';
import { swaksVia } from '../lib/submit.js';
import { startScenarioPetrel } from '../lib/petrel.js';
import { sinkBody, startSink, waitFor } from '@petrel/testkit';

test('swaks → Petrel → smtp-sink at the MX from dnsmasq: delivered, logged, body intact', async (t) => {
  const s = await scenario(t);
  const sink = s.stopAfter(await startSink(s.dir, '127.0.0.2', s.mxPort));
  const petrel = await startScenarioPetrel(s);

  const body = [
    'From: Alice <alice@test.local>',
    'To: Bob <bob@example.test>',
    'Subject: walking skeleton',
    'Message-ID: <skeleton-1@test.local>',
    '',
    'First line.',
    '.A line that starts with a dot must survive dot-stuffing.',
    '..and two dots.',
    '',
    'Last line.',
    '',
  ].join('\r\n');
  const file = join(s.dir, 'msg.eml');
  writeFileSync(file, body);
  const r = await swaksVia(s.listenPort, 'alice@test.local', 'bob@example.test', ['--data', `@${file}`, '--pipeline']);
  assert.equal(r.code, 0, r.out);
  const queued = /250 2\.0\.0 Ok: queued as (\S+)/.exec(r.out);
  assert.ok(queued, `no queued-as reply in:\n${r.out}`);
  const id = queued[1]!;

  const events = await petrel.waitForEvents('a delivery record', (ev) =>
    ev.some((e) => e.type === 'delivery' && e.message_id === id),
  );
  const reception = events.find((e) => e.type === 'reception' && e.message_id === id);
  assert.ok(reception, 'reception record');
  assert.equal(reception.recipient, 'bob@example.test');
  const delivery = events.find((e) => e.type === 'delivery' && e.message_id === id)!;
  assert.equal(delivery.recipient, 'bob@example.test');
  assert.equal(delivery.domain, 'example.test');
  assert.equal(delivery.binding, 'default');
  assert.equal(delivery.remote_ip, '127.0.0.2', 'the preferred MX (mx1, pref 10) took it');
  assert.equal(delivery.attempt, 1);
  assert.match(String(delivery.reply), /^250 /);

  const dumps = await waitFor('the sink to dump the message', () =>
    sink.messages().length === 1 ? sink.messages() : undefined,
  );
  const got = sinkBody(dumps[0]!);
  // Petrel prepends its own Received header; after it, the message is byte-for-byte what was sent
  // (smtp-sink's dump writes LF line ends).
  assert.match(got, /^Received: from \S+ \(\[127\.0\.0\.1\]\)\s+by petrel\.test \(Petrel\) with E?SMTP/);
  const afterTrace = got.slice(got.indexOf('From: Alice'));
  assert.equal(afterTrace.trimEnd(), body.replace(/\r\n/g, '\n').trimEnd());
  assert.match(dumps[0]!, /^X-Mail-Args: <alice@test\.local>/m);
  assert.match(dumps[0]!, /^X-Rcpt-Args: <bob@example\.test>/m);
});
