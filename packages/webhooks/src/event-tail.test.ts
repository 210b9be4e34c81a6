import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@petrel/core';
import { EventTail } from './event-tail.js';

function dir(t: { after: (fn: () => void) => void }): string {
  const d = mkdtempSync(join(tmpdir(), 'petrel-tail-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

const rec = (n: number): string => `{"time":"2026-12-06T00:00:00.000Z","type":"delivery","n":${n}}\n`;

test('a new tail starts at the end of the live file; complete lines only, each with a stable unique id', async (t) => {
  const d = dir(t);
  const file = join(d, 'events.jsonl');
  writeFileSync(file, rec(0));
  const tail = new EventTail(d, 'events.jsonl', silentLogger());
  t.after(() => tail.close());
  const start = await tail.open(undefined);
  assert.equal(start.offset, rec(0).length);
  appendFileSync(file, `${rec(1)}{"time":"x","type":"deliv`);
  const lines = await tail.read(10);
  assert.deepEqual(
    lines.map((l) => JSON.parse(l.text).n),
    [1],
  );
  assert.equal(lines[0]!.id, `${start.ino}-${start.offset}`);
  assert.deepEqual(await tail.read(10), [], 'the half-written line waits');
  appendFileSync(file, 'ery","n":2}\n');
  assert.deepEqual(
    (await tail.read(10)).map((l) => JSON.parse(l.text).n),
    [2],
  );
});

test('across a rotation: the old file is finished, the new one entered once it has data', async (t) => {
  const d = dir(t);
  const file = join(d, 'events.jsonl');
  writeFileSync(file, '');
  const tail = new EventTail(d, 'events.jsonl', silentLogger());
  t.after(() => tail.close());
  await tail.open(undefined);
  appendFileSync(file, rec(1));
  assert.equal((await tail.read(10)).length, 1);
  appendFileSync(file, rec(2));
  renameSync(file, join(d, 'events.jsonl.1'));
  // logrotate `create`: the new file exists but the event log still writes to the old one.
  writeFileSync(file, '');
  appendFileSync(join(d, 'events.jsonl.1'), rec(3));
  assert.deepEqual(
    (await tail.read(10)).map((l) => JSON.parse(l.text).n),
    [2, 3],
  );
  assert.deepEqual(await tail.read(10), []);
  appendFileSync(file, rec(4));
  assert.deepEqual(
    (await tail.read(10)).map((l) => JSON.parse(l.text).n),
    [4],
  );
});

test('a saved position finds its file after rotations while stopped, and reads every later file in order', async (t) => {
  const d = dir(t);
  const file = join(d, 'events.jsonl');
  writeFileSync(file, rec(1) + rec(2));
  const first = new EventTail(d, 'events.jsonl', silentLogger());
  await first.open(undefined);
  const saved = { ...first.position(), offset: rec(1).length };
  await first.close();
  // Two rotations while stopped: events.jsonl → .2 (via .1), a middle generation .1, then the live file.
  renameSync(file, join(d, 'events.jsonl.2'));
  await new Promise((r) => setTimeout(r, 20));
  writeFileSync(join(d, 'events.jsonl.1'), rec(3));
  await new Promise((r) => setTimeout(r, 20));
  writeFileSync(file, rec(4));
  writeFileSync(join(d, 'events.jsonl.3.gz'), 'compressed, skipped');
  const tail = new EventTail(d, 'events.jsonl', silentLogger());
  t.after(() => tail.close());
  await tail.open(saved);
  const got: number[] = [];
  for (let i = 0; i < 5; i++) for (const l of await tail.read(10)) got.push(JSON.parse(l.text).n);
  assert.deepEqual(got, [2, 3, 4]);
  assert.equal(tail.backlogBytes(), 0);
});

test('a position saved before the log had a file means "from the start of the first file"', async (t) => {
  const d = dir(t);
  const first = new EventTail(d, 'events.jsonl', silentLogger());
  const saved = await first.open(undefined);
  assert.deepEqual(saved, { ino: '', offset: 0 });
  await first.close();
  writeFileSync(join(d, 'events.jsonl'), rec(1));
  const tail = new EventTail(d, 'events.jsonl', silentLogger());
  t.after(() => tail.close());
  await tail.open(saved);
  assert.deepEqual(
    (await tail.read(10)).map((l) => JSON.parse(l.text).n),
    [1],
  );
});
