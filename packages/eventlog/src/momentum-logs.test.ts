import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SmtpReply, type DeliveryJob } from '@petrel/core';
import { fixture } from './test-support.js';

const T = Date.UTC(2026, 0, 1, 12, 0, 0, 250); // 1767268800 s
const job: DeliveryJob = {
  id: 'M1/b1/example.fict/0',
  messageId: 'M1',
  sender: 'info@postalengine.com',
  binding: 'binding-a',
  bindingGroup: 'group-a',
  domain: 'example.fict',
  recipients: [
    { index: 0, address: 'bob@example.fict', domain: 'example.fict' },
    { index: 1, address: 'carol@example.fict', domain: 'example.fict' },
    { index: 2, address: 'johndoe@example.fict', domain: 'example.fict' },
  ],
  size: 1223,
  receivedAt: T - 18_530,
  attempts: 1,
  nextAttemptAt: 0,
};
const MOMENTUM = '[eventlog]\nmainlog = true\nbouncelog = true\nrejectlog = true\nheartbeat = "1h"\n';

function lines(dir: string, name: string): string[] {
  return readFileSync(join(dir, 'log', name), 'utf8')
    .split('\n')
    .filter((l) => l !== '');
}

test('mainlog R, D, T, P and M records and bouncelog B records follow the Momentum field layouts', async (t) => {
  const f = await fixture({ toml: MOMENTUM });
  t.after(f.cleanup);
  f.bus.publish('message.spooled', {
    envelope: {
      id: 'M1',
      sender: 'info@postalengine.com',
      recipients: [{ address: 'bob@example.fict', domain: 'example.fict' }],
      receivedAt: T,
      size: 201,
      protocol: 'esmtp',
      client: { address: '10.0.1.1' },
    },
    recovered: false,
  });
  f.bus.publish('delivery.attempted', {
    job,
    outcomes: [
      { index: 0, address: 'bob@example.fict', status: 'delivered', reply: SmtpReply.parse('250 ok'), stage: 9 },
      {
        index: 1,
        address: 'carol@example.fict',
        status: 'transient',
        reply: SmtpReply.parse('421 no adequate servers'),
        stage: 0,
      },
      {
        index: 2,
        address: 'johndoe@example.fict',
        status: 'permanent',
        reply: SmtpReply.parse('552 No such account'),
        stage: 5,
      },
    ],
    remote: { host: 'mx', ip: '10.0.0.1', port: 25 },
    startedAt: T - 100,
    finishedAt: T,
  });
  f.clock.advance(T - f.clock.now());
  f.bus.publish('delivery.failed', {
    job,
    indexes: [1],
    reply: new SmtpReply(554, '[internal] exceeded max time without delivery', '5.4.7'),
    reason: 'expiration',
  });
  f.log.heartbeat(T);
  await f.log.flush();
  assert.deepEqual(lines(f.dir, 'mainlog'), [
    '1767268800@M1@@@R@bob@example.fict@info@postalengine.com@10.0.1.1@201@esmtp@default@default',
    '1767268800@M1@M1/b1/example.fict/0@@D@example.fict@1223@group-a@binding-a@1@18.53@10.0.0.1',
    '1767268800@M1@M1/b1/example.fict/0@@T@example.fict@0@group-a@binding-a@0@1@18.53@10.0.0.1@421 no adequate servers',
    '1767268800@M1@M1/b1/example.fict/0@@P@example.fict@0@group-a@binding-a@5@1@18.53@10.0.0.1@552 No such account',
    '1767268800@M1@M1/b1/example.fict/0@@P@example.fict@0@group-a@binding-a@0@1@18.53@@554 5.4.7 [internal] exceeded max time without delivery',
    '1767268800@@@@M',
  ]);
  for (const l of lines(f.dir, 'mainlog')) {
    const type = l.split('@')[4];
    const want = { R: 14, D: 12, T: 14, P: 14, M: 5 }[type as 'R'];
    assert.equal(l.split('@').length, want, `${type} has ${want} fields: ${l}`);
  }
  assert.deepEqual(lines(f.dir, 'bouncelog'), [
    '1767268800@M1@M1/b1/example.fict/0@@B@johndoe@example.fict@info@postalengine.com@group-a@binding-a@5@10@1223@10.0.0.1@552 No such account',
    '1767268800@M1@M1/b1/example.fict/0@@B@carol@example.fict@info@postalengine.com@group-a@binding-a@0@24@1223@@554 5.4.7 [internal] exceeded max time without delivery',
    '1767268800@@@@M1',
  ]);
});

test('rejectlog lines carry remote, local, connection, phase, code, module and text', async (t) => {
  const f = await fixture({ toml: MOMENTUM });
  t.after(f.cleanup);
  f.bus.publish('message.rejected', {
    time: T,
    phase: 'awaiting rcptto',
    reply: SmtpReply.parse('554 5.7.1 relaying denied'),
    client: { address: '10.79.25.142', port: 42601 },
    localAddress: '10.79.25.142:25',
    connectionId: 'C18',
    recipient: 'x@y',
  });
  f.log.heartbeat(T);
  await f.log.flush();
  assert.deepEqual(lines(f.dir, 'rejectlog'), [
    '1767268800: R="10.79.25.142:42601" L="10.79.25.142:25" C="C18" PATH="default" PATH_GRP="default" P="awaiting rcptto" E=554 M=listener CTXCONN=[] CTXMESS=[] 5.7.1 relaying denied',
    '1767268800: Marker 1',
  ]);
});

test('a generated DSN gives bounce records; TLS fields appear when the attempt used TLS', async (t) => {
  const f = await fixture();
  t.after(f.cleanup);
  const reply = SmtpReply.parse('550 5.1.1 <johndoe@example.fict>: user unknown');
  f.bus.publish('bounce.generated', {
    time: T,
    dsnId: 'D9',
    job,
    action: 'failed',
    remote: { host: 'mx', ip: '10.0.0.1', port: 25 },
    recipients: [
      {
        index: 2,
        address: 'johndoe@example.fict',
        reply,
        stage: 4,
        bounceClass: 10,
        bounceClassName: 'Invalid Recipient',
      },
    ],
  });
  f.bus.publish('delivery.attempted', {
    job,
    outcomes: [
      { index: 0, address: 'bob@example.fict', status: 'delivered', reply: SmtpReply.parse('250 ok'), stage: 9 },
    ],
    startedAt: T,
    finishedAt: T,
    tls: { protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' },
  });
  await f.log.flush();
  const [bounce, delivery] = f.read();
  assert.deepEqual(bounce, {
    time: '2026-01-01T12:00:00.250Z',
    type: 'bounce',
    message_id: 'M1',
    sender: 'info@postalengine.com',
    recipient: 'johndoe@example.fict',
    domain: 'example.fict',
    binding: 'binding-a',
    binding_group: 'group-a',
    remote_host: 'mx',
    remote_ip: '10.0.0.1',
    reply: '550 5.1.1 <johndoe@example.fict>: user unknown',
    code: 550,
    enhanced: '5.1.1',
    bounce_class: 10,
    bounce_class_name: 'Invalid Recipient',
    stage: 4,
    size: 1223,
    dsn_id: 'D9',
    action: 'failed',
  });
  assert.equal(delivery!.tls_version, 'TLSv1.3');
  assert.equal(delivery!.tls_cipher, 'TLS_AES_256_GCM_SHA384');
});

test('an unwritable mainlog never stops mail flow: the JSON log and later subscribers still run', async (t) => {
  const { writeFileSync, mkdirSync } = await import('node:fs');
  const f = await fixture({ toml: MOMENTUM, start: false });
  t.after(f.cleanup);
  mkdirSync(join(f.dir, 'log', 'mainlog'), { recursive: true }); // a directory where the file should be
  await f.log.start();
  let after = 0;
  f.bus.subscribe('message.spooled', () => void after++);
  const envelope = {
    id: 'M2',
    sender: '',
    recipients: [{ address: 'a@b.test', domain: 'b.test' }],
    receivedAt: T,
    size: 1,
    protocol: 'esmtp' as const,
  };
  for (let i = 0; i < 50; i++) f.bus.publish('message.spooled', { envelope, recovered: false });
  await f.log.flush();
  assert.equal(after, 50);
  assert.equal(f.read().length, 50);
  assert.deepEqual(f.busErrors, []);
  assert.equal(f.opLog.filter((l) => l.level === 50).length, 1, 'one error reported');
  void writeFileSync;
});
