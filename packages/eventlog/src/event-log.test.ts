import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SmtpReply, type DeliveryJob } from '@petrel/core';
import { fixture } from './test-support.js';

const T = Date.UTC(2026, 0, 1, 12, 0, 0, 250);

const job: DeliveryJob = {
  id: 'M1/b1/example.test/0',
  messageId: 'M1',
  sender: 'alice@origin.test',
  binding: 'b1',
  bindingGroup: 'g1',
  domain: 'example.test',
  recipients: [
    { index: 0, address: 'bob@example.test', domain: 'example.test' },
    { index: 2, address: 'carol@example.test', domain: 'example.test' },
    { index: 3, address: 'dave@example.test', domain: 'example.test' },
  ],
  size: 2048,
  receivedAt: T - 90_000,
  attempts: 2,
  nextAttemptAt: 0,
};

test('a new message gives one reception record per recipient; a recovered one gives none', async (t) => {
  const f = await fixture();
  t.after(f.cleanup);
  const envelope = {
    id: 'M1',
    sender: '',
    recipients: [
      { address: 'bob@example.test', domain: 'example.test' },
      { address: 'eve@other.test', domain: 'other.test' },
    ],
    receivedAt: T,
    size: 512,
    protocol: 'esmtp' as const,
    client: { address: '192.0.2.7', port: 40000 },
  };
  f.bus.publish('message.spooled', { envelope, recovered: false });
  f.bus.publish('message.spooled', { envelope: { ...envelope, id: 'M2' }, recovered: true });
  await f.log.flush();
  const base = {
    time: '2026-01-01T12:00:00.250Z',
    type: 'reception',
    message_id: 'M1',
    sender: '',
    size: 512,
    protocol: 'esmtp',
    client_ip: '192.0.2.7',
  };
  assert.deepEqual(f.read(), [
    { ...base, recipient: 'bob@example.test', domain: 'example.test' },
    { ...base, recipient: 'eve@other.test', domain: 'other.test' },
  ]);
  assert.deepEqual(Object.keys(f.read()[0]!), [
    'time',
    'type',
    'message_id',
    'sender',
    'recipient',
    'domain',
    'size',
    'protocol',
    'client_ip',
  ]);
});

test('a recovered message nothing has happened to yet gets its reception records again, marked recovered: a kill -9 may have cut them', async (t) => {
  const f = await fixture();
  t.after(f.cleanup);
  const envelope = {
    id: 'M3',
    sender: 'a@sender.test',
    recipients: [
      { address: 'bob@example.test', domain: 'example.test' },
      { address: 'eve@other.test', domain: 'other.test' },
    ],
    receivedAt: T,
    size: 512,
    protocol: 'esmtp' as const,
  };
  const fresh = [0, 1].map((index) => ({ index, attempts: 0, nextAttemptAt: 0 }));
  f.bus.publish('message.spooled', { envelope, recovered: true, pending: fresh });
  // Attempted or partly finished before the crash: it was published, so its record was written.
  f.bus.publish('message.spooled', {
    envelope: { ...envelope, id: 'M4' },
    recovered: true,
    pending: [{ index: 0, attempts: 1, nextAttemptAt: 0 }, fresh[1]!],
  });
  f.bus.publish('message.spooled', { envelope: { ...envelope, id: 'M5' }, recovered: true, pending: [fresh[1]!] });
  await f.log.flush();
  assert.deepEqual(
    f.read().map((r) => [r.type, r.message_id, r.recipient, r.recovered]),
    [
      ['reception', 'M3', 'bob@example.test', true],
      ['reception', 'M3', 'eve@other.test', true],
    ],
  );
});

test('an attempt gives delivery, transient_failure and permanent_failure records with every known field', async (t) => {
  const f = await fixture();
  t.after(f.cleanup);
  f.bus.publish('delivery.attempted', {
    job,
    outcomes: [
      {
        index: 0,
        address: 'bob@example.test',
        status: 'delivered',
        reply: SmtpReply.parse('250 2.0.0 Ok: queued as X1'),
        stage: 9,
      },
      {
        index: 2,
        address: 'carol@example.test',
        status: 'transient',
        reply: new SmtpReply(451, ['Greylisted,', 'try later'], '4.7.1'),
        stage: 5,
      },
      {
        index: 3,
        address: 'dave@example.test',
        status: 'permanent',
        reply: SmtpReply.parse('550 no such user'),
        stage: 5,
      },
    ],
    remote: { host: 'mx1.example.test', ip: '198.51.100.5', port: 25 },
    sourceAddress: '203.0.113.9',
    startedAt: T - 500,
    finishedAt: T,
  });
  await f.log.flush();
  const common = {
    time: '2026-01-01T12:00:00.250Z',
    message_id: 'M1',
    sender: 'alice@origin.test',
    domain: 'example.test',
    binding: 'b1',
    binding_group: 'g1',
    source_address: '203.0.113.9',
    remote_host: 'mx1.example.test',
    remote_ip: '198.51.100.5',
    attempt: 3,
    queue_time_ms: 90_000,
    size: 2048,
  };
  const lines = f.read();
  assert.deepEqual(lines, [
    {
      ...common,
      type: 'delivery',
      recipient: 'bob@example.test',
      reply: '250 2.0.0 Ok: queued as X1',
      code: 250,
      enhanced: '2.0.0',
      stage: 9,
    },
    {
      ...common,
      type: 'transient_failure',
      recipient: 'carol@example.test',
      reply: '451 4.7.1 Greylisted, try later',
      code: 451,
      enhanced: '4.7.1',
      bounce_class: 70,
      bounce_class_name: 'Transient Failure',
      stage: 5,
    },
    {
      ...common,
      type: 'permanent_failure',
      recipient: 'dave@example.test',
      reply: '550 no such user',
      code: 550,
      bounce_class: 10,
      bounce_class_name: 'Invalid Recipient',
      stage: 5,
    },
  ]);
  assert.deepEqual(Object.keys(lines[0]!), [
    'time',
    'type',
    'message_id',
    'sender',
    'recipient',
    'domain',
    'binding',
    'binding_group',
    'source_address',
    'remote_host',
    'remote_ip',
    'reply',
    'code',
    'enhanced',
    'stage',
    'attempt',
    'queue_time_ms',
    'size',
  ]);
});

test('delivery.failed gives expiration per index for reason expiration, permanent_failure otherwise', async (t) => {
  const f = await fixture();
  t.after(f.cleanup);
  const reply = new SmtpReply(554, '[internal] exceeded max time without delivery', '5.4.7');
  f.bus.publish('delivery.failed', { job, indexes: [2, 3], reply, reason: 'expiration' });
  f.bus.publish('delivery.failed', {
    job,
    indexes: [0],
    reply: new SmtpReply(554, '[internal] Message manually purged', '5.7.0'),
    reason: 'policy',
  });
  await f.log.flush();
  const common = {
    time: new Date(f.clock.now()).toISOString(),
    message_id: 'M1',
    sender: 'alice@origin.test',
    domain: 'example.test',
    binding: 'b1',
    binding_group: 'g1',
    attempt: 2,
    queue_time_ms: f.clock.now() - job.receivedAt,
    size: 2048,
  };
  const expired = {
    ...common,
    type: 'expiration',
    reply: '554 5.4.7 [internal] exceeded max time without delivery',
    code: 554,
    enhanced: '5.4.7',
    bounce_class: 24,
    bounce_class_name: 'Timeout',
  };
  assert.deepEqual(f.read(), [
    { ...expired, recipient: 'carol@example.test' },
    { ...expired, recipient: 'dave@example.test' },
    {
      ...common,
      type: 'permanent_failure',
      recipient: 'bob@example.test',
      reply: '554 5.7.0 [internal] Message manually purged',
      code: 554,
      enhanced: '5.7.0',
      bounce_class: 25,
      bounce_class_name: 'Admin Failure',
    },
  ]);
});

test('a rejection record carries the phase, client address and connection id', async (t) => {
  const f = await fixture();
  t.after(f.cleanup);
  f.bus.publish('message.rejected', {
    time: T,
    phase: 'awaiting rcptto',
    reply: SmtpReply.parse('554 5.7.1 relaying denied'),
    client: { address: '192.0.2.66', port: 51000 },
    sender: 'spam@bad.test',
    recipient: 'victim@Elsewhere.test',
    connectionId: 'C42',
  });
  f.bus.publish('message.rejected', {
    time: T,
    phase: 'connect',
    reply: SmtpReply.parse('421 4.7.0 too many connections'),
    client: { address: '192.0.2.67', port: 1 },
    connectionId: 'C43',
  });
  await f.log.flush();
  assert.deepEqual(f.read(), [
    {
      time: '2026-01-01T12:00:00.250Z',
      type: 'rejection',
      sender: 'spam@bad.test',
      recipient: 'victim@Elsewhere.test',
      domain: 'elsewhere.test',
      reply: '554 5.7.1 relaying denied',
      code: 554,
      enhanced: '5.7.1',
      client_ip: '192.0.2.66',
      phase: 'awaiting rcptto',
      connection_id: 'C42',
    },
    {
      time: '2026-01-01T12:00:00.250Z',
      type: 'rejection',
      reply: '421 4.7.0 too many connections',
      code: 421,
      enhanced: '4.7.0',
      client_ip: '192.0.2.67',
      phase: 'connect',
      connection_id: 'C43',
    },
  ]);
});
