import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bus, ManualClock, parseConfig, silentLogger } from '@petrel/core';
import { Spool } from './spool.js';

test("spool.message returns the envelope and each recipient's state; null for an unknown id; spool.stats counts", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'spool-details-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bus = new Bus();
  const config = parseConfig(`spool_dir = "${dir}"\n[spool]\nmin_free_space = 0\n`, join(dir, 'petrel.toml'));
  const spool = new Spool({ config, bus, logger: silentLogger(), clock: new ManualClock() });
  await spool.start();
  t.after(() => spool.stop());
  const envelope = {
    id: '',
    sender: 's@test.local',
    recipients: [
      { address: 'a@x.test', domain: 'x.test' },
      { address: 'b@y.test', domain: 'y.test' },
    ],
    receivedAt: 1,
    size: 0,
    protocol: 'esmtp' as const,
  };
  const { id } = await bus.request('spool.store', { envelope, body: Buffer.from('Subject: x\r\n\r\nhi\r\n') });
  const job = {
    id: 'j',
    messageId: id,
    sender: 's@test.local',
    binding: 'default',
    bindingGroup: 'default',
    domain: 'y.test',
    recipients: [{ index: 1, address: 'b@y.test', domain: 'y.test' }],
    size: 1,
    receivedAt: 1,
    attempts: 1,
    nextAttemptAt: 0,
  };
  bus.publish('delivery.deferred', {
    job,
    attempts: 1,
    nextAttemptAt: 5000,
    expiresAt: 10_000,
    previousAttemptAt: 0,
    reply: { code: 451, enhanced: '4.3.0', lines: ['later'] },
  });
  await spool.flush();
  const d = await bus.request('spool.message', { id });
  assert.ok(d);
  assert.equal(d.envelope.sender, 's@test.local');
  assert.deepEqual(
    d.recipients.map((r) => [r.address, r.status, r.attempts, r.nextAttemptAt, r.lastReply?.code]),
    [
      ['a@x.test', 'pending', 0, 0, undefined],
      ['b@y.test', 'pending', 1, 5000, 451],
    ],
  );
  assert.equal(await bus.request('spool.message', { id: 'nope' }), null);
  const stats = await bus.request('spool.stats', {});
  assert.equal(stats.messages, 1);
  assert.equal(stats.pendingRecipients, 2);
});
