import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import nodemailer from 'nodemailer';
import { scenario } from '../lib/scenario.js';
import { startPetrel, testConfig } from '../lib/petrel.js';
import { alive, dumpIds, figures, petrelPid, RawClient, rssKiB } from './helpers.js';
import { startSink, waitFor, run } from '@petrel/testkit';

const HASH_SCRIPT = fileURLToPath(new URL('../../../packages/listener/scripts/hash-password.mjs', import.meta.url));
const IDLE = 10_000;
const PIPELINED = 10_000;
const RSS_LIMIT_KIB = 512 * 1024;

test('hostile clients: smuggling, slow-loris, 10,000 idle connections, 10,000 pipelined NOOPs cut off by the junk limit, oversize, bad bytes, AUTH brute force; the daemon stays up and keeps serving', async (t) => {
  const s = await scenario(t);
  const sink = await startSink(s.dir, '127.0.0.2', s.mxPort);
  s.defer(() => sink.stop());
  const dir = join(s.dir, 'petrel');
  const users = await run(process.execPath, [HASH_SCRIPT, 'alice'], { input: 'correct horse' });
  assert.equal(users.code, 0, users.stderr);
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'users'), users.stdout);
  const toml = testConfig({
    listenPort: s.listenPort,
    dnsServer: s.dns.server,
    remotePort: s.mxPort,
    extra: '',
  }).replace(
    'max_message_size = "10MB"',
    `max_message_size = "1MB"\nmax_connections = ${IDLE + 500}\nmax_connections_per_ip = ${IDLE + 200}\nauth_users_file = "users"\nauth_allow_plaintext = true\nauth_max_failures = 5`,
  );
  const petrel = await startPetrel(dir, toml, s.listenPort);
  s.defer(() => petrel.stop());
  const pid = await petrelPid(petrel);
  const rss0 = rssKiB(pid);
  let rssMax = rss0;
  const sample = (): void => {
    rssMax = Math.max(rssMax, rssKiB(pid));
  };
  const sampler = setInterval(sample, 100);
  t.after(() => clearInterval(sampler));

  // A well-behaved client from another address: accepted and delivered during each attack.
  const good = nodemailer.createTransport({
    host: '127.0.0.1',
    port: s.listenPort,
    secure: false,
    ignoreTLS: true,
    localAddress: '127.0.0.9',
    connectionTimeout: 5000,
  } as never);
  let probes = 0;
  const probe = async (what: string): Promise<void> => {
    const id = `probe-${++probes}-${what}@hostile.test`;
    const info = await good.sendMail({
      from: 'good@example.test',
      to: 'good@example.test',
      subject: what,
      messageId: `<${id}>`,
      text: 'ok\n',
    });
    assert.match(info.response, /^250 /, `${what}: a normal message is accepted`);
    await waitFor(`${what}: the probe delivered`, () => sink.messages().some((d) => dumpIds(d).ids[0] === id), 15_000);
  };
  const open = (local?: string): Promise<RawClient> => RawClient.open(s.listenPort, '127.0.0.1', local);
  const session = async (local?: string): Promise<RawClient> => {
    const c = await open(local);
    assert.match((await c.replies(1))[0] ?? '', /^220 /);
    assert.match(await c.cmd('EHLO hostile.test'), /^250[ -]/);
    return c;
  };
  const f: Record<string, unknown> = {};

  // 1. Many idle connections, each greeted; a normal client is still served.
  const t1 = Date.now();
  const idle: RawClient[] = [];
  for (let i = 0; i < IDLE; i += 250)
    idle.push(...(await Promise.all(Array.from({ length: Math.min(250, IDLE - i) }, () => open()))));
  const greeted = (await Promise.all(idle.map(async (c) => (await c.replies(1, 15_000))[0] ?? ''))).filter((r) =>
    r.startsWith('220'),
  ).length;
  await probe('idle');
  sample();
  f.idle = { connections: IDLE, greeted, ms: Date.now() - t1, rssKiB: rssKiB(pid) };
  assert.equal(greeted, IDLE, 'every idle connection was greeted');
  for (const c of idle) c.close();

  // 2. Slow-loris: 50 clients dribble one byte at a time for 3 s; the daemon serves others meanwhile.
  const loris = await Promise.all(Array.from({ length: 50 }, () => open('127.0.0.7')));
  const line = 'EHLO slow.loris.test\r\nMAIL FROM:<a@example.test>\r\n';
  let dribbled = 0;
  const drip = setInterval(() => {
    for (const c of loris) c.write(line[dribbled % line.length]!);
    dribbled++;
  }, 100);
  await probe('slow-loris');
  await new Promise((r) => setTimeout(r, 3000 - 100 * dribbled));
  clearInterval(drip);
  f.slowLoris = { clients: loris.length, bytesEach: dribbled, stillOpen: loris.filter((c) => !c.closed).length };
  for (const c of loris) c.close();

  // 3. One client pipelines 10,000 commands in a single write.
  {
    const c = await session('127.0.0.8');
    c.write('NOOP\r\n'.repeat(PIPELINED));
    const replies = await c.replies(PIPELINED, 30_000);
    const ok = replies.filter((r) => r.startsWith('250')).length;
    f.pipelined = { sent: PIPELINED, replies: replies.length, ok, closedByServer: c.closed };
    // junk_command_limit (100) NOOPs, then max_errors (20) more counted as errors, then 421 and close.
    assert.equal(ok, 120, 'NOOPs answered before the junk limit ended the session');
    assert.match(replies[120] ?? '', /^421 4\.7\.0 /);
    assert.ok(await c.waitClosed(10_000), 'the server closed the session');
    c.close();
    await probe('pipelining');
  }

  // 4. SMTP smuggling: a bare-LF (or half-CRLF) end of data must never end the message.
  const smuggled: Record<string, string> = {};
  for (const [name, dot] of [
    ['lf-dot-lf', '\n.\n'],
    ['cr-lf-dot-lf', '\r\n.\n'],
    ['lf-dot-cr-lf', '\n.\r\n'],
    ['cr-dot-cr', '\r.\r'],
  ] as const) {
    const c = await session();
    assert.match(await c.cmd('MAIL FROM:<outer@example.test>'), /^250 /);
    assert.match(await c.cmd('RCPT TO:<outer@example.test>'), /^250 /);
    assert.match(await c.cmd('DATA'), /^354 /);
    c.write(
      `Subject: outer\r\nMessage-ID: <outer-${name}@hostile.test>\r\n\r\nhello${dot}MAIL FROM:<evil@example.test>\r\nRCPT TO:<smuggled-${name}@example.test>\r\nDATA\r\nMessage-ID: <smuggled-${name}@hostile.test>\r\n\r\nevil\r\n.\r\n`,
    );
    c.write('QUIT\r\n');
    assert.ok(await c.waitClosed(10_000), `${name}: session ended`);
    smuggled[name] = (await c.replies(10, 1)).join(' | ');
  }
  await probe('smuggling');
  const receptions = petrel.events().filter((e) => e.type === 'reception');
  assert.deepEqual(
    receptions.filter((e) => String(e.recipient).startsWith('smuggled-')),
    [],
    'no smuggled message was ever received',
  );
  assert.ok(
    !sink.messages().some((d) => /smuggled-/.test(dumpIds(d).ids.join(' '))),
    'no smuggled message at the sink',
  );
  f.smuggling = smuggled;

  // 5. Oversize header line and body; invalid UTF-8 and NUL bytes in commands and body.
  {
    const c = await session();
    assert.match(await c.cmd('MAIL FROM:<big@example.test>'), /^250 /);
    assert.match(await c.cmd('RCPT TO:<big@example.test>'), /^250 /);
    assert.match(await c.cmd('DATA'), /^354 /);
    c.write(`Subject: big\r\nX-Huge: ${'h'.repeat(200_000)}\r\n\r\n${'0123456789abcdef\r\n'.repeat(80_000)}.\r\n`);
    const oversize = (await c.replies(1, 15_000))[0] ?? '(closed)';
    f.oversize = oversize;
    assert.match(oversize, /^5\d\d /, '1.4 MB with a 200 KB header line over a 1 MB limit is refused');
    c.close();
  }
  {
    const c = await session();
    const badMail = await c.cmd('MAIL FROM:<\xff\xfe\x00@example.test>');
    const okMail = await c.cmd('MAIL FROM:<bytes@example.test>');
    const badRcpt = await c.cmd('RCPT TO:<a\x00b@example.test>');
    f.badBytes = { badMail, badRcpt };
    assert.match(badMail, /^5\d\d /, 'NUL and invalid UTF-8 in MAIL FROM refused');
    assert.match(okMail, /^250 /);
    assert.match(badRcpt, /^5\d\d /, 'NUL in RCPT TO refused');
    assert.match(await c.cmd('RCPT TO:<bytes@example.test>'), /^250 /);
    assert.match(await c.cmd('DATA'), /^354 /);
    c.write(
      Buffer.concat([
        Buffer.from('Subject: bytes\r\nMessage-ID: <bytes@hostile.test>\r\n\r\n'),
        Buffer.from([0x00, 0xff, 0xfe, 0xc3, 0x28, 0x0d, 0x0a]),
        Buffer.from('.\r\n'),
      ]),
    );
    const bodyReply = (await c.replies(1))[0] ?? '(closed)';
    f.badBytes = { badMail, badRcpt, body: bodyReply };
    assert.match(bodyReply, /^(250|5\d\d) /, 'a body with NUL / invalid UTF-8 gets a definite answer');
    c.close();
  }
  await probe('oversize-and-bytes');

  // 6. AUTH brute force from one address: cut off after auth_max_failures, others unaffected.
  {
    const answers: string[] = [];
    for (let i = 0; i < 8; i++) {
      const c = await session('127.0.0.11');
      answers.push(await c.cmd(`AUTH PLAIN ${Buffer.from(`\0alice\0guess${i}`).toString('base64')}`));
      c.close();
    }
    const c = await session('127.0.0.11');
    const right = await c.cmd(`AUTH PLAIN ${Buffer.from('\0alice\0correct horse').toString('base64')}`);
    c.close();
    const elsewhere = await session('127.0.0.12');
    const rightElsewhere = await elsewhere.cmd(
      `AUTH PLAIN ${Buffer.from('\0alice\0correct horse').toString('base64')}`,
    );
    elsewhere.close();
    f.authBruteForce = {
      attempts: answers.length,
      refused535: answers.filter((a) => a.startsWith('535')).length,
      lockedOut421: answers.filter((a) => a.startsWith('421')).length,
      rightPasswordAfterLockout: right,
      rightPasswordOtherIp: rightElsewhere,
    };
    assert.equal(answers.filter((a) => a.startsWith('535')).length, 5, 'five wrong passwords get 535');
    assert.ok(
      answers.slice(5).every((a) => a.startsWith('421')),
      `then 421: ${answers.slice(5).join(' | ')}`,
    );
    assert.match(right, /^421 /, 'the locked-out address cannot try even the right password');
    assert.match(rightElsewhere, /^235 /, 'another address authenticates');
  }
  await probe('auth');

  sample();
  clearInterval(sampler);
  assert.ok(alive(pid), 'the daemon is still running');
  f.rss = { startKiB: rss0, maxKiB: rssMax, endKiB: rssKiB(pid), limitKiB: RSS_LIMIT_KIB };
  f.probesDelivered = probes;
  figures('hostile-clients', f);
  assert.ok(rssMax < RSS_LIMIT_KIB, `RSS stayed under ${RSS_LIMIT_KIB} KiB (max ${rssMax})`);
  good.close();
  assert.equal(await petrel.stop(), 0, 'clean stop after the attacks');
});
