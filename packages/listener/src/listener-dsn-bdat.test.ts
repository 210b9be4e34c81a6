import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient, startListener } from './harness.js';
import { decodeXtext, parseNotify, parseOrcpt } from './dsn-params.js';
import { run } from '@petrel/testkit';

const T = { timeout: 20_000 };
const PYTHON = '/usr/bin/python3';

test('xtext decodes +XX escapes and refuses lower-case hex, "=" and controls (RFC 3461 §4)', () => {
  assert.equal(decodeXtext('a+2Bb+3Dc'), 'a+b=c');
  assert.equal(decodeXtext('a+2bb'), undefined);
  assert.equal(decodeXtext('a=b'), undefined);
  assert.equal(decodeXtext('a b'), undefined);
  assert.deepEqual(parseNotify('success,Failure'), ['SUCCESS', 'FAILURE']);
  assert.equal(parseNotify('NEVER,SUCCESS'), undefined);
  assert.equal(parseNotify('DELAY,DELAY'), undefined);
  assert.equal(parseOrcpt('rfc822;b+2Bob@example.test'), 'rfc822;b+ob@example.test');
  assert.equal(parseOrcpt('nosemicolon'), undefined);
});

const SMTPLIB = `
import smtplib, sys, json
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), local_hostname='py.test')
s.ehlo()
res = {'dsn': s.has_extn('dsn')}
msg = b'Subject: dsn\\r\\n\\r\\nbody\\r\\n'
res['refused'] = s.sendmail('a@test.local', ['x@example.test', 'y@example.test'], msg,
    mail_options=['RET=HDRS', 'ENVID=QQ+2B123+3Dx'],
    rcpt_options=['NOTIFY=SUCCESS,FAILURE', 'ORCPT=rfc822;orig+2Bx@example.test'])
res['bad_ret'] = list(s.mail('a@test.local', ['RET=ALL']))
res['bad_ret'][1] = res['bad_ret'][1].decode()
s.rset()
s.quit()
print(json.dumps(res))
`;

test(
  'python smtplib DSN parameters: RET/ENVID on MAIL and NOTIFY/ORCPT on RCPT are kept in the envelope',
  T,
  async (t) => {
    const h = await startListener();
    t.after(() => h.close());
    const out = await run(PYTHON, ['-c', SMTPLIB, String(h.port)]);
    assert.equal(out.code, 0, out.stderr);
    const res = JSON.parse(out.stdout) as { dsn: boolean; refused: object; bad_ret: [number, string] };
    assert.equal(res.dsn, true);
    assert.deepEqual(res.refused, {});
    assert.deepEqual(res.bad_ret, [501, '5.5.4 Bad parameter value']);
    const e = h.stored[0]!.envelope;
    assert.equal(e.ret, 'HDRS');
    assert.equal(e.envid, 'QQ+123=x');
    assert.deepEqual(e.recipients, [
      {
        address: 'x@example.test',
        domain: 'example.test',
        notify: ['SUCCESS', 'FAILURE'],
        orcpt: 'rfc822;orig+x@example.test',
      },
      {
        address: 'y@example.test',
        domain: 'example.test',
        notify: ['SUCCESS', 'FAILURE'],
        orcpt: 'rfc822;orig+x@example.test',
      },
    ]);
  },
);

test('BDAT chunks pipelined in one write make one message; each chunk is answered (RFC 3030)', T, async (t) => {
  const h = await startListener();
  t.after(() => h.close());
  const c = await RawClient.open(h.port);
  t.after(() => c.destroy());
  await c.cmd('EHLO client.test');
  const part1 = 'Subject: chunks\r\n\r\nfirst ';
  const part2 = 'second\r\n.\r\nnot an end\r\n';
  c.send(
    `MAIL FROM:<a@test.local>\r\nRCPT TO:<x@example.test>\r\nBDAT ${part1.length}\r\n${part1}BDAT ${part2.length} LAST\r\n${part2}`,
  );
  assert.match(await c.reply(), /^250 2\.1\.0/);
  assert.match(await c.reply(), /^250 2\.1\.5/);
  assert.equal(await c.reply(), `250 2.0.0 Ok: ${part1.length} octets received\r\n`);
  assert.match(await c.reply(), /^250 2\.0\.0 Ok: queued as \w+/);
  const body = h.stored[0]!.body.toString();
  assert.ok(body.endsWith(`\r\n${part1}${part2}`), JSON.stringify(body));
  assert.match(await c.cmd('NOOP'), /^250 /, 'the session goes on after LAST');
});

test('a refused BDAT still has its chunk read, so the octets are never taken as commands', T, async (t) => {
  const h = await startListener();
  t.after(() => h.close());
  const c = await RawClient.open(h.port);
  t.after(() => c.destroy());
  await c.cmd('EHLO client.test');
  const smuggled = 'MAIL FROM:<evil@test.local>\r\n';
  c.send(`BDAT ${smuggled.length} LAST\r\n${smuggled}NOOP\r\n`);
  assert.match(await c.reply(), /^503 5\.5\.1 Error: need MAIL/);
  assert.match(await c.reply(), /^250 2\.0\.0 Ok/, 'the next reply is the NOOP');
  assert.match(await c.cmd('BDAT x'), /^501 5\.5\.4 Syntax: BDAT/);
  await c.closed;
});

test('BODY=BINARYMIME needs BDAT: DATA gets 503 5.5.1, BDAT keeps bare LFs and long lines as sent', T, async (t) => {
  const h = await startListener();
  t.after(() => h.close());
  const c = await RawClient.open(h.port);
  t.after(() => c.destroy());
  await c.cmd('EHLO client.test');
  await c.cmd('MAIL FROM:<a@test.local> BODY=BINARYMIME');
  await c.cmd('RCPT TO:<x@example.test>');
  assert.match(await c.cmd('DATA'), /^503 5\.5\.1 Error: BINARYMIME requires BDAT/);
  const data = Buffer.concat([
    Buffer.from('Subject: bin\r\n\r\n'),
    Buffer.from([0, 1, 10, 13, 255]),
    Buffer.alloc(2000, 0x41),
  ]);
  c.send(Buffer.concat([Buffer.from(`BDAT ${data.length} LAST\r\n`), data]));
  assert.match(await c.reply(), /^250 2\.0\.0 Ok: queued/);
  assert.equal(h.stored[0]!.envelope.bodyType, 'BINARYMIME');
  assert.ok(h.stored[0]!.body.subarray(-data.length).equals(data));
});

test(
  'BDAT without BINARYMIME refuses a bare LF (554 5.5.2) and an oversize message at once (552 5.3.4)',
  T,
  async (t) => {
    const h = await startListener({ listener: ['max_message_size = 100'] });
    t.after(() => h.close());
    const c = await RawClient.open(h.port);
    t.after(() => c.destroy());
    await c.cmd('EHLO client.test');
    const bare = 'a\n.\nb\r\n';
    c.send(`MAIL FROM:<a@test.local>\r\nRCPT TO:<x@example.test>\r\nBDAT ${bare.length} LAST\r\n${bare}`);
    await c.reply();
    await c.reply();
    assert.match(await c.reply(), /^554 5\.5\.2 /);
    c.send(`MAIL FROM:<a@test.local>\r\nRCPT TO:<x@example.test>\r\nBDAT 150\r\n${'x'.repeat(148)}\r\n`);
    await c.reply();
    await c.reply();
    assert.match(await c.reply(), /^552 5\.3\.4 /);
    assert.match(await c.cmd('RSET'), /^250 /);
    assert.equal(h.stored.length, 0);
  },
);

test('smtpping -C (CHUNKING) delivers its messages with BDAT', T, async (t) => {
  const h = await startListener();
  t.after(() => h.close());
  const out = await run('smtpping', [
    '-C',
    '-c',
    '5',
    '-w',
    '0',
    '-q',
    '-s',
    '2',
    '-p',
    String(h.port),
    '-H',
    'client.test',
    '-S',
    'a@test.local',
    'b@example.test',
    '@127.0.0.1',
  ]);
  assert.equal(out.code, 0, out.stdout + out.stderr);
  assert.equal(h.stored.length, 5);
  assert.ok(h.stored.every((s) => s.body.length > 2048));
});

test('ORCPT=utf-8 (RFC 6533 §3): raw UTF-8 only under SMTPUTF8, \\x{HEX} always; kept decoded; malformed refused', () => {
  assert.equal(parseOrcpt('utf-8;üser@example.com', true), 'utf-8;üser@example.com');
  assert.equal(parseOrcpt('UTF-8;üser@example.com', true), 'utf-8;üser@example.com');
  assert.equal(parseOrcpt('utf-8;üser@example.com', false), undefined, 'raw UTF-8 without SMTPUTF8');
  assert.equal(parseOrcpt('utf-8;\\x{FC}ser@example.com', false), 'utf-8;üser@example.com');
  assert.equal(parseOrcpt('utf-8;\\x{FC}ser@example.com', true), 'utf-8;üser@example.com');
  assert.equal(parseOrcpt('utf-8;+C3+BCser@example.com', true), undefined, 'xtext octets are not the utf-8 form');
  assert.equal(parseOrcpt('utf-8;\\x{41}@example.com', true), undefined, 'a QCHAR must not be escaped');
  assert.equal(parseOrcpt('utf-8;üser', true), undefined, 'not a mailbox');
  assert.equal(parseOrcpt('rfc822;üser@example.com', true), undefined, 'rfc822 stays xtext');
});

const UTF8_ORCPT = `
import smtplib, sys, json
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), local_hostname='py.test')
s.ehlo()
res = {}
res['refused'] = s.sendmail('a@test.local', ['x@example.test'], b'Subject: utf8\\r\\n\\r\\nbody\\r\\n',
    mail_options=['SMTPUTF8'], rcpt_options=['ORCPT=utf-8;üser@example.com'])
s.mail('a@test.local')
code, text = s.rcpt('y@example.test', ['ORCPT=utf-8;üser@example.com'])
res['without_smtputf8'] = [code, text.decode()]
s.rset()
s.quit()
print(json.dumps(res))
`;

test(
  'python smtplib: ORCPT=utf-8;üser@example.com in raw UTF-8 is accepted under SMTPUTF8 and kept with the recipient; refused without',
  T,
  async (t) => {
    const h = await startListener();
    t.after(() => h.close());
    const out = await run(PYTHON, ['-c', UTF8_ORCPT, String(h.port)]);
    assert.equal(out.code, 0, out.stderr);
    const res = JSON.parse(out.stdout) as { refused: object; without_smtputf8: [number, string] };
    assert.deepEqual(res.refused, {});
    assert.deepEqual(res.without_smtputf8, [501, '5.5.4 Bad parameter value']);
    assert.deepEqual(h.stored[0]!.envelope.recipients, [
      { address: 'x@example.test', domain: 'example.test', orcpt: 'utf-8;üser@example.com' },
    ]);
  },
);
