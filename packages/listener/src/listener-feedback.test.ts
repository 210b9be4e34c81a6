import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InboundReceive, SuppressionEnforced, SuppressionEntry } from '@petrel/core';
import { RawClient, startListener } from './harness.js';

const BOUNCE = ['[bounce]', 'return_path_domains = ["RP.test"]'];
const entry = (address: string): SuppressionEntry => ({
  address,
  scope: 'global',
  reason: 'out_of_band',
  bounceClass: 10,
  source: 't',
  createdAt: 0,
});

async function withInbound(tables: readonly string[]) {
  const h = await startListener({ listener: ['relay_networks = ["127.0.0.1/32"]'], tables });
  const inbound: InboundReceive[] = [];
  const enforced: SuppressionEnforced[] = [];
  h.bus.handle('inbound.receive', (m) => {
    inbound.push(m);
    return { id: 'R1' };
  });
  h.bus.handle('suppression.check', ({ address }) => (address.startsWith('gone@') ? entry(address) : null));
  h.bus.subscribe('suppression.enforced', (e) => void enforced.push(e));
  return { h, inbound, enforced };
}

test('a return-path domain takes mail from any client, hands it to inbound.receive and never to the spool', async (t) => {
  const { h, inbound } = await withInbound(BOUNCE);
  t.after(() => h.close());
  const c = await RawClient.open(h.port, '127.0.0.9');
  await c.cmd('EHLO isp.test');
  assert.equal(await c.cmd('MAIL FROM:<>'), '250 2.1.0 Ok\r\n');
  assert.equal(await c.cmd('RCPT TO:<x@elsewhere.test>'), '554 5.7.1 <x@elsewhere.test>: Relaying denied\r\n');
  assert.equal(await c.cmd('RCPT TO:<b+ID+x=y@rp.test>'), '250 2.1.5 Ok\r\n');
  assert.equal(await c.cmd('DATA'), '354 End data with <CR><LF>.<CR><LF>\r\n');
  assert.equal(await c.cmd('Subject: bounce\r\n\r\nbody\r\n.'), '250 2.0.0 Ok: queued as R1\r\n');
  assert.equal(h.stored.length, 0, 'never spooled for relay');
  assert.equal(inbound.length, 1);
  assert.deepEqual(
    [inbound[0]!.sender, inbound[0]!.recipients, inbound[0]!.client.address],
    ['', ['b+ID+x=y@rp.test'], '127.0.0.9'],
  );
  assert.match(inbound[0]!.body.toString(), /Subject: bounce\r\n\r\nbody\r\n$/);
  c.end();
});

test('return-path and relay recipients are not mixed in one transaction (452 4.5.3 for the second kind)', async (t) => {
  const { h } = await withInbound(BOUNCE);
  t.after(() => h.close());
  const c = await RawClient.open(h.port, '127.0.0.1');
  await c.cmd('EHLO relay.test');
  await c.cmd('MAIL FROM:<a@x.test>');
  assert.equal(await c.cmd('RCPT TO:<ok@example.test>'), '250 2.1.5 Ok\r\n');
  assert.match(await c.cmd('RCPT TO:<fbl@rp.test>'), /^452 4\.5\.3 /);
  c.end();
});

test('a suppressed recipient gets 550 5.7.1 at RCPT and a rejection; others pass', async (t) => {
  const { h } = await withInbound(BOUNCE);
  t.after(() => h.close());
  const c = await RawClient.open(h.port, '127.0.0.1');
  await c.cmd('EHLO relay.test');
  await c.cmd('MAIL FROM:<a@x.test>');
  assert.equal(await c.cmd('RCPT TO:<gone@example.test>'), '550 5.7.1 <gone@example.test>: recipient suppressed\r\n');
  assert.equal(await c.cmd('RCPT TO:<ok@example.test>'), '250 2.1.5 Ok\r\n');
  assert.deepEqual(
    h.rejected.map((r) => [r.recipient, r.reply.code]),
    [['gone@example.test', 550]],
  );
  c.end();
});

test('accept_and_fail: the suppressed recipient is accepted, left out of the stored message and failed by an event', async (t) => {
  const { h, enforced } = await withInbound([...BOUNCE, 'suppression_action = "accept_and_fail"']);
  t.after(() => h.close());
  const c = await RawClient.open(h.port, '127.0.0.1');
  await c.cmd('EHLO relay.test');
  await c.cmd('MAIL FROM:<a@x.test>');
  assert.equal(await c.cmd('RCPT TO:<gone@example.test>'), '250 2.1.5 Ok\r\n');
  assert.equal(await c.cmd('RCPT TO:<ok@example.test>'), '250 2.1.5 Ok\r\n');
  await c.cmd('DATA');
  const reply = await c.cmd('Subject: x\r\n\r\nbody\r\n.');
  const id = /queued as (\S+)/.exec(reply)?.[1];
  assert.ok(id, reply);
  assert.deepEqual(
    h.stored[0]!.envelope.recipients.map((r) => r.address),
    ['ok@example.test'],
  );
  assert.deepEqual(
    enforced.map((e) => [e.messageId, e.recipient, e.entry.reason, e.reply.code, e.reply.enhanced]),
    [[id, 'gone@example.test', 'out_of_band', 550, '5.7.1']],
  );
  // Only suppressed recipients: DATA is still accepted (they were told 250), nothing is stored.
  await c.cmd('MAIL FROM:<a@x.test>');
  assert.equal(await c.cmd('RCPT TO:<gone@example.test>'), '250 2.1.5 Ok\r\n');
  assert.match(await c.cmd('DATA'), /^354 /);
  assert.match(await c.cmd('Subject: y\r\n\r\nbody\r\n.'), /^250 2\.0\.0 Ok: queued as /);
  assert.equal(h.stored.length, 1);
  assert.equal(enforced.length, 2);
  c.end();
});
