import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fillDisk, mountTmpfs, removeFile } from '../lib/disk.js';
import { scenario } from '../lib/scenario.js';
import { sendAlone } from '../lib/submit.js';
import { startScenarioPetrel } from '../lib/petrel.js';
import { petrelCli } from '../lib/cli.js';
import { startSink, waitFor } from '@petrel/testkit';

/** Petrel with its spool on a real 8 MB tmpfs (CI runs as root) and an smtp-sink as the MX. */
async function onSmallDisk(t: TestContext, minFreeSpace: string) {
  const s = await scenario(t);
  const sink = s.stopAfter(await startSink(s.dir, '127.0.0.2', s.mxPort));
  const fs = await mountTmpfs(join(s.dir, 'petrel', 'spool'), '8m');
  s.defer(() => fs.unmount());
  const extra = `[spool]\nmin_free_space = "${minFreeSpace}"\n`;
  const petrel = await startScenarioPetrel(s, { extra });
  return { s, sink, fs, petrel };
}

test('spool on a full tmpfs: new mail gets 452 4.3.1, nothing acknowledged is lost, service resumes when space returns', async (t) => {
  const { s, sink, fs, petrel } = await onSmallDisk(t, '1MB');

  const acked: string[] = [];
  for (let i = 0; i < 5; i++) {
    const id = `before-${i}@test.local`;
    const reply = await sendAlone(s.listenPort, id);
    assert.match(reply, /^250 /, reply);
    acked.push(id);
  }

  // Fill the disk: the spool must refuse with a transient 452 4.3.1 (RFC 3463 4.3.1: mail system full).
  const filler = join(fs.dir, 'filler');
  const filled = fillDisk(filler);
  assert.ok(fs.free() < 1_000_000, `tmpfs full after ${filled} bytes (free ${fs.free()})`);
  const refusal = await waitFor(
    'a 452 refusal while the disk is full',
    async () => {
      const id = `full-${Date.now()}@test.local`;
      const reply = await sendAlone(s.listenPort, id);
      if (/^250 /.test(reply)) acked.push(id); // accepted before the guard re-read statfs: must be delivered too
      return /^452/.test(reply) ? reply : undefined;
    },
    10_000,
    200,
  );
  assert.match(refusal, /^452 4\.3\.1 /);
  assert.match(await sendAlone(s.listenPort, 'still-full@test.local'), /^452 4\.3\.1 /, 'still refused while full');
  assert.match(petrel.output(), /refusing new mail with 452 4\.3\.1/, 'a clear log line says why');

  // Space returns: service resumes.
  removeFile(filler);
  await waitFor(
    'a 250 once space is back',
    async () => {
      const id = `after-${Date.now()}@test.local`;
      const reply = await sendAlone(s.listenPort, id);
      if (/^250 /.test(reply)) acked.push(id);
      return /^250 /.test(reply);
    },
    10_000,
    300,
  );

  const idsAtSink = (): string[] => sink.messageIds();
  await waitFor(
    `all ${acked.length} acknowledged messages at the sink`,
    () => acked.every((id) => idsAtSink().includes(id)),
    20_000,
    200,
  );
  assert.ok(!idsAtSink().includes('still-full@test.local'), 'a refused message was not delivered');
});

test('with the free-space guard off, a real SQLITE_FULL answers 452 4.3.1, loses nothing, and the spool recovers when space returns', async (t) => {
  const { s, sink, fs, petrel } = await onSmallDisk(t, '0');
  // Delivery held while the disk is full, so the spool keeps the messages (and must keep them).
  const held = await petrelCli(petrel, ['suspend', '--domain', 'example.test']);
  assert.equal(held.code, 0, held.stderr);

  const acked: string[] = [];
  for (let i = 0; i < 3; i++) {
    const id = `pre-${i}@test.local`;
    assert.match(await sendAlone(s.listenPort, id), /^250 /);
    acked.push(id);
  }
  const filler = join(fs.dir, 'filler');
  fillDisk(filler);
  // Each message is ~24 KB: the first refusal comes from SQLite itself, not from a statfs check.
  let refusal = '';
  for (let i = 0; i < 50 && refusal === ''; i++) {
    const id = `full-${i}@test.local`;
    const reply = await sendAlone(s.listenPort, id);
    if (/^250 /.test(reply)) acked.push(id);
    else refusal = reply;
  }
  assert.match(refusal, /^452 4\.3\.1 /);
  await waitFor(
    'a log line naming the cause',
    () =>
      /spool: the disk is full: refusing new mail with 452 4\.3\.1/.test(petrel.output()) &&
      /SQLITE_FULL/.test(petrel.output()),
    5_000,
    100,
  );

  removeFile(filler);
  await waitFor(
    'a 250 once space is back',
    async () => {
      const id = `back-${Date.now()}@test.local`;
      const reply = await sendAlone(s.listenPort, id);
      if (/^250 /.test(reply)) acked.push(id);
      return /^250 /.test(reply);
    },
    10_000,
    300,
  );

  // Deliver everything now: nothing acknowledged was lost to the failed commits.
  const r = await petrelCli(petrel, ['resume', '--domain', 'example.test']);
  assert.equal(r.code, 0, r.stderr);
  const idsAtSink = (): string[] => sink.messageIds();
  await waitFor(
    `all ${acked.length} acknowledged messages at the sink`,
    () => acked.every((id) => idsAtSink().includes(id)),
    20_000,
    200,
  );
});
