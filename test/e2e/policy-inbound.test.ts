import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scenario } from '../lib/scenario.js';
import { sinkBody, startSink, swaks, run } from '@petrel/testkit';
import { startScenarioPetrel } from '../lib/petrel.js';

// One module with a hook at every inbound phase, each refusing with its own exact reply; the data
// hook also adds a header that must reach the sink (what is stored is what is delivered).
const MODULE = `
export default {
  connect(ctx) {
    if (ctx.session.client.address === '127.0.0.9') return { reply: '554 5.7.1 Client 127.0.0.9 is not welcome here' };
  },
  ehlo(ctx) {
    if (ctx.helo === 'bad.helo.test') return { reply: '550 5.7.1 HELO bad.helo.test refused by policy' };
  },
  mailFrom(ctx) {
    if (ctx.sender === 'spammer@evil.test') return { reply: '550 5.7.1 Sender spammer@evil.test refused by policy' };
  },
  rcptTo(ctx) {
    if (ctx.recipient === 'blocked@rcpt.test') return { reply: '550 5.7.1 <blocked@rcpt.test> is on the block list' };
    if (ctx.recipient === 'later@rcpt.test') return { reply: '450 4.2.1 <later@rcpt.test> try again later' };
  },
  data(ctx) {
    if (ctx.headers.get('Subject') === 'REJECT ME') return { reply: '554 5.7.1 Message content refused by policy' };
    ctx.headers.add('X-Policy-Checked', 'yes; helo=' + ctx.session.helo);
  },
};
`;

// python smtplib: prints "CODE text" for each command, without raising on refusals.
const SMTPLIB = `
import smtplib, sys
port, sender, rcpts = int(sys.argv[1]), sys.argv[2], sys.argv[3].split(',')
s = smtplib.SMTP('127.0.0.1', port)
print(*s.ehlo('client.test'))
print(*s.mail(sender))
for r in rcpts:
    code, text = s.rcpt(r)
    print(code, text.decode())
s.quit()
`;

test('policy hooks refuse at connect, ehlo, mail, rcpt and data with their exact replies; a data hook header reaches the sink', {
  timeout: 120_000,
}, async (t) => {
  const s = await scenario(t, ['mx-host=rcpt.test,sink.rcpt.test,10', 'host-record=sink.rcpt.test,127.0.0.5']);
  const sink = s.stopAfter(await startSink(s.dir, '127.0.0.5', s.mxPort));
  const dir = join(s.dir, 'petrel');
  mkdirSync(join(dir, 'policy'), { recursive: true });
  writeFileSync(join(dir, 'policy', 'inbound.mjs'), MODULE);
  const petrel = await startScenarioPetrel(
    s,
    {
      extra: '\n[[policy]]\nmodule = "policy/inbound.mjs"\n',
    },
    dir,
  );
  const server = ['--server', `127.0.0.1:${s.listenPort}`];

  // connect: the refusal replaces the banner.
  const c = await swaks([...server, '--local-interface', '127.0.0.9', '--from', 'a@ok.test', '--to', 'r@rcpt.test']);
  assert.notEqual(c.code, 0);
  assert.match(c.out, /<\*\* +554 5\.7\.1 Client 127\.0\.0\.9 is not welcome here/);

  // ehlo
  const e = await swaks([...server, '--helo', 'bad.helo.test', '--from', 'a@ok.test', '--to', 'r@rcpt.test']);
  assert.match(e.out, /<\*\* +550 5\.7\.1 HELO bad\.helo\.test refused by policy/);

  // mail
  const m = await swaks([...server, '--from', 'spammer@evil.test', '--to', 'r@rcpt.test']);
  assert.match(m.out, /<\*\* +550 5\.7\.1 Sender spammer@evil\.test refused by policy/);

  // rcpt, with python smtplib: refused recipients get their reply, the others 250, all in one transaction.
  const py = await run(
    '/usr/bin/python3',
    ['-c', SMTPLIB, String(s.listenPort), 'a@ok.test', 'blocked@rcpt.test,later@rcpt.test,fine@rcpt.test'],
    { timeoutMs: 30_000 },
  );
  assert.equal(py.code, 0, py.stderr);
  const lines = py.stdout.trim().split('\n');
  assert.deepEqual(lines.slice(2), [
    '550 5.7.1 <blocked@rcpt.test> is on the block list',
    '450 4.2.1 <later@rcpt.test> try again later',
    '250 2.1.5 Ok',
  ]);

  // data: refused by content
  const d = await swaks([...server, '--from', 'a@ok.test', '--to', 'r@rcpt.test', '--header', 'Subject: REJECT ME']);
  assert.match(d.out, /<\*\* +554 5\.7\.1 Message content refused by policy/);

  // data: accepted, with the header added before the spool commit
  const ok = await swaks([...server, '--from', 'good@ok.test', '--to', 'r@rcpt.test', '--header', 'Subject: hello']);
  assert.equal(ok.code, 0, ok.out);
  await petrel.waitForEvents('one delivery', (ev) => ev.some((x) => x.type === 'delivery'));
  const dumps = sink.messages();
  assert.equal(dumps.length, 1, 'only the accepted message reached the sink');
  assert.match(sinkBody(dumps[0]!), /^X-Policy-Checked: yes; helo=/m);

  // Every refusal is a rejection record, with the exact reply.
  const rejections = petrel
    .events()
    .filter((x) => x.type === 'rejection')
    .map((x) => x.reply);
  for (const r of [
    '554 5.7.1 Client 127.0.0.9 is not welcome here',
    '550 5.7.1 HELO bad.helo.test refused by policy',
    '550 5.7.1 Sender spammer@evil.test refused by policy',
    '550 5.7.1 <blocked@rcpt.test> is on the block list',
    '554 5.7.1 Message content refused by policy',
  ]) {
    assert.ok(rejections.includes(r), `rejection "${r}" in ${JSON.stringify(rejections)}`);
  }
});
