import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startListener } from './harness.js';

const T = { timeout: 60_000 };
const PYTHON = '/usr/bin/python3';

test('swaks relays a pipelined message and spool.store gets the exact body (Received + data)', T, async (t) => {
  const h = await startListener();
  t.after(() => h.close());
  const out = await run('swaks', [
    '--server',
    `127.0.0.1:${h.port}`,
    '--from',
    'a@test.local',
    '--to',
    'x@example.test',
    '--helo',
    'swaks.test',
    '--pipeline',
    '--data',
    'Subject: swaks\\n\\nhello\\n.dotted line\\nbye',
  ]);
  assert.equal(out.code, 0, out.stdout + out.stderr);
  // swaks sends MAIL, RCPT and DATA as one batch when pipelining.
  assert.match(out.stdout, /-> MAIL FROM:<a@test\.local>\n\s*-> RCPT TO:<x@example\.test>\n\s*-> DATA\n/);
  assert.match(out.stdout, /<- {2}250 2\.0\.0 Ok: queued as (\w+)/);
  assert.equal(h.stored.length, 1);
  const req = h.stored[0]!;
  const id = req.envelope.id;
  const body = req.body.toString('utf8');
  const header = body.slice(0, body.indexOf('\r\n\tfor'));
  assert.equal(header, `Received: from swaks.test ([127.0.0.1])\r\n\tby mx.petrel.test (Petrel) with ESMTP id ${id}`);
  assert.match(
    body,
    /\r\n\tfor <x@example\.test>; \w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d \+0000\r\nSubject: swaks\r\n\r\nhello\r\n\.dotted line\r\nbye\r\n$/,
  );
  assert.equal(req.envelope.size, req.body.length);
});

const SMTPLIB = `
import smtplib, sys, json
port = int(sys.argv[1])
res = {}
s = smtplib.SMTP('127.0.0.1', port, local_hostname='py.test')
s.ehlo()
res['features'] = sorted(s.esmtp_features.keys())
msg = 'Subject: caf\\u00e9\\r\\n\\r\\nna\\u00efve body\\r\\n..and a dot\\r\\n'.encode('utf-8')
res['refused'] = s.sendmail('j\\u00f6ran@test.local', ['b\\u00fccher@example.test', 'x@example.test'], msg, mail_options=['BODY=8BITMIME', 'SMTPUTF8'])
res['too_big'] = list(s.mail('a@test.local', ['SIZE=999999999']))
res['too_big'][1] = res['too_big'][1].decode()
s.rset()
s.quit()
print(json.dumps(res))
`;
import { run } from '@petrel/testkit';

test(
  'python smtplib with SIZE, BODY=8BITMIME and SMTPUTF8 is accepted; an oversized SIZE is refused at MAIL',
  T,
  async (t) => {
    const h = await startListener({ listener: ['max_message_size = "1MB"'] });
    t.after(() => h.close());
    const out = await run(PYTHON, ['-c', SMTPLIB, String(h.port)]);
    assert.equal(out.code, 0, out.stderr);
    const res = JSON.parse(out.stdout) as { features: string[]; refused: object; too_big: [number, string] };
    assert.deepEqual(res.features, [
      '8bitmime',
      'binarymime',
      'chunking',
      'dsn',
      'enhancedstatuscodes',
      'pipelining',
      'size',
      'smtputf8',
    ]);
    assert.deepEqual(res.refused, {});
    assert.deepEqual(res.too_big, [552, '5.3.4 Message size exceeds fixed limit']);
    assert.equal(h.stored.length, 1);
    const { envelope, body } = h.stored[0]!;
    assert.equal(envelope.sender, 'jöran@test.local');
    assert.deepEqual(envelope.recipients, [
      { address: 'bücher@example.test', domain: 'example.test' },
      { address: 'x@example.test', domain: 'example.test' },
    ]);
    assert.equal(envelope.bodyType, '8BITMIME');
    assert.equal(envelope.smtputf8, true);
    const text = body.toString('utf8');
    assert.match(
      text,
      /^Received: from py\.test \(\[127\.0\.0\.1\]\)\r\n\tby mx\.petrel\.test \(Petrel\) with UTF8SMTP id \w+; /,
      'two recipients: no "for"',
    );
    assert.ok(text.endsWith('\r\nSubject: café\r\n\r\nnaïve body\r\n..and a dot\r\n'), JSON.stringify(text));
  },
);

test('smtp-source with 5 sessions × 50 messages: all 50 stored', T, async (t) => {
  const h = await startListener();
  t.after(() => h.close());
  const out = await run('smtp-source', [
    '-s',
    '5',
    '-m',
    '50',
    '-l',
    '1000',
    '-M',
    'test.local',
    '-f',
    'a@test.local',
    '-t',
    'b@example.test',
    `127.0.0.1:${h.port}`,
  ]);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(h.stored.length, 50);
  assert.ok(
    h.stored.every(
      (r) => r.envelope.sender === 'a@test.local' && r.envelope.recipients[0]?.address === 'b@example.test',
    ),
  );
  assert.equal(new Set(h.stored.map((r) => r.envelope.id)).size, 50, 'ids are unique');
  assert.equal(h.listener.stats().messagesAccepted, 50);
  assert.equal(h.rejected.length, 0);
});
