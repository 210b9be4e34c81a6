import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SmtpReply, silentLogger } from '@petrel/core';
import { EventFile } from './event-file.js';
import type { EventRecord } from './records.js';
import { fixture, type Fixture } from './test-support.js';

function reject(f: Fixture, n: number, tag = 'C'): void {
  for (let i = 0; i < n; i++) {
    f.bus.publish('message.rejected', {
      time: 0,
      phase: 'connect',
      reply: SmtpReply.parse('554 5.7.1 go away'),
      client: { address: '192.0.2.1', port: 1 },
      connectionId: `${tag}${i}`,
    });
  }
}

const ERROR = 50;
const WARN = 40;

test('creates log_dir and events.jsonl with mode 0640', async (t) => {
  const f = await fixture({ logDir: 'deep/er/log' });
  t.after(f.cleanup);
  assert.equal(statSync(join(f.dir, 'deep/er/log/events.jsonl')).mode & 0o777, 0o640);
});

test('a record is in the file (handed to the kernel) when its publish returns: a kill -9 right after loses nothing', async (t) => {
  const f = await fixture();
  t.after(f.cleanup);
  reject(f, 3);
  // No flush, no turn of the event loop: nothing may wait in a user-space buffer.
  assert.deepEqual(
    f.read().map((r) => r.connection_id),
    ['C0', 'C1', 'C2'],
  );
  await f.log.stop();
  assert.deepEqual(
    f.read().map((r) => r.connection_id),
    ['C0', 'C1', 'C2'],
  );
});

test('after logrotate renamed the file, reopen() writes new records to a new file', async (t) => {
  const f = await fixture();
  t.after(f.cleanup);
  reject(f, 2, 'old');
  await f.log.flush();
  renameSync(f.log.path, `${f.log.path}.1`);
  reject(f, 1, 'late'); // written before the reopen: belongs to the rotated file
  await f.log.reopen();
  reject(f, 2, 'new');
  await f.log.stop();
  assert.deepEqual(
    f.read('log/events.jsonl.1').map((r) => r.connection_id),
    ['old0', 'old1', 'late0'],
  );
  assert.deepEqual(
    f.read().map((r) => r.connection_id),
    ['new0', 'new1'],
  );
});

test('a log_dir that cannot be created does not throw into the publisher; the error is logged once', async (t) => {
  const f = await fixture({ start: false });
  t.after(f.cleanup);
  writeFileSync(join(f.dir, 'log'), 'a file where the directory should be');
  await f.log.start();
  let after = 0;
  f.bus.subscribe('message.rejected', () => void after++);
  assert.doesNotThrow(() => reject(f, 200));
  await f.log.flush();
  assert.equal(after, 200, 'later subscribers still run');
  assert.deepEqual(f.busErrors, []);
  assert.deepEqual(f.opLog.filter((l) => l.level === ERROR).length, 1);
});

test('a write error on the open file (disk full) is logged once per burst and the log recovers after reopen', async (t) => {
  const f = await fixture({ start: false });
  t.after(f.cleanup);
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(f.dir, 'log'));
  symlinkSync('/dev/full', f.log.path); // every write(2) fails with ENOSPC
  await f.log.start();
  assert.doesNotThrow(() => reject(f, 100));
  reject(f, 100);
  await f.log.flush();
  assert.deepEqual(f.busErrors, []);
  assert.equal(f.opLog.filter((l) => l.level === ERROR).length, 1);

  rmSync(f.log.path);
  await f.log.reopen();
  reject(f, 1, 'ok');
  await f.log.flush();
  assert.deepEqual(
    f.read().map((r) => r.connection_id),
    ['ok0'],
  );
  assert.equal(f.opLog.filter((l) => l.level === ERROR).length, 1);
  assert.equal(f.opLog.filter((l) => l.level === WARN).length, 1, 'one "resumed" notice ends the burst');
});

test('every line starts with its time and leaves out undefined fields, whatever order the record was built in', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-event-file-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = new EventFile(join(dir, 'events.jsonl'), silentLogger());
  await file.open();
  const time = '2026-01-02T03:04:05.678Z';
  file.write({ time, type: 'reception', message_id: 'a', sender: undefined, size: 1 });
  file.write({ type: 'reception', message_id: 'b', sender: undefined, size: 2, time } as EventRecord);
  file.write({ time } as EventRecord);
  await file.close();
  assert.deepEqual(readFileSync(join(dir, 'events.jsonl'), 'utf8').split('\n'), [
    `{"time":"${time}","type":"reception","message_id":"a","size":1}`,
    `{"time":"${time}","type":"reception","message_id":"b","size":2}`,
    `{"time":"${time}"}`,
    '',
  ]);
});
