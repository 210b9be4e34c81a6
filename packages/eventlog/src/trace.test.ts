import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixture } from './test-support.js';

test('eventlog.trace answers the records of one message over the bus, rotated file first, buffered records included', async (t) => {
  const f = await fixture();
  t.after(f.cleanup);
  const envelope = (id: string) =>
    ({
      id,
      sender: 'a@origin.test',
      recipients: [{ address: 'b@example.test', domain: 'example.test' }],
      receivedAt: 0,
      size: 10,
      protocol: 'esmtp',
    }) as const;
  f.bus.publish('message.spooled', { envelope: envelope('M1'), recovered: false });
  f.bus.publish('message.spooled', { envelope: envelope('M2'), recovered: false });
  await f.log.stop();
  // A rotated events.jsonl.1 holds the older records; a torn line is skipped.
  renameSync(join(f.dir, 'log', 'events.jsonl'), join(f.dir, 'log', 'events.jsonl.1'));
  writeFileSync(join(f.dir, 'log', 'events.jsonl.1'), '{"message_id":"M1", torn', { flag: 'a' });
  await f.log.start();
  f.bus.publish('message.spooled', {
    envelope: { ...envelope('M1'), recipients: [{ address: 'c@example.test', domain: 'example.test' }] },
    recovered: false,
  });
  const records = await f.bus.request('eventlog.trace', { messageId: 'M1' });
  assert.deepEqual(
    records.map((r) => [r.type, r.recipient]),
    [
      ['reception', 'b@example.test'],
      ['reception', 'c@example.test'],
    ],
  );
  assert.deepEqual(await f.bus.request('eventlog.trace', { messageId: 'nosuch' }), []);
});
