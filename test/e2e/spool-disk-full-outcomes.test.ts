import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fillDisk, mountTmpfs, removeFile } from '../lib/disk.js';
import { scenario } from '../lib/scenario.js';
import { sendAlone } from '../lib/submit.js';
import { startSink, waitFor } from '@petrel/testkit';
import { startPetrel, testConfig, type PetrelHandle } from '../lib/petrel.js';
import { petrelCli, petrelJson } from '../lib/cli.js';
import { spoolMessageCount } from '../lib/spool.js';

const MESSAGES = 40;

test('the disk fills while queued mail delivers: outcomes still reach the spool, kill -9 + restart sends nothing twice, and mail is accepted again once space returns', async (t) => {
  const s = await scenario(t);
  const sink = await startSink(s.dir, '127.0.0.2', s.mxPort);
  s.defer(() => sink.stop());
  const spoolDir = join(s.dir, 'petrel', 'spool');
  const fs = await mountTmpfs(spoolDir, '16m');
  s.defer(() => fs.unmount());
  // min_free_space 4 MB: 1 MB of it is the outcome reserve, new mail is refused below 3 MB free.
  const toml = testConfig({
    listenPort: s.listenPort,
    dnsServer: s.dns.server,
    remotePort: s.mxPort,
    extra: '[spool]\nmin_free_space = "4MB"\n',
  });
  let petrel: PetrelHandle = await startPetrel(join(s.dir, 'petrel'), toml, s.listenPort);
  s.defer(() => petrel.stop());

  // Queue mail with delivery held, so that it is all in the spool when the disk fills.
  const held = await petrelCli(petrel, ['suspend', '--domain', 'example.test']);
  assert.equal(held.code, 0, held.stderr);
  const acked: string[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    const id = `queued-${i}@test.local`;
    const reply = await sendAlone(s.listenPort, id);
    assert.match(reply, /^250 /, reply);
    acked.push(id);
  }

  // Another process takes every last block; then the queued mail is delivered.
  const filler = join(fs.dir, 'filler');
  fillDisk(filler);
  assert.ok(fs.free() < 64 * 1024, `tmpfs full (free ${fs.free()})`);
  const resumed = await petrelCli(petrel, ['resume', '--domain', 'example.test']);
  assert.equal(resumed.code, 0, resumed.stderr);
  await waitFor(
    `all ${MESSAGES} queued messages at the sink`,
    () => acked.every((id) => sink.messageIds().includes(id)),
    30_000,
    200,
  );

  // The delivery outcomes must reach the spool although the disk is full: finished messages are
  // deleted. (Bounded wait; without the reserve they never do, and the restart below shows it.)
  const drained = await waitFor('the spool to drain', () => spoolMessageCount(spoolDir) === 0, 10_000, 200).catch(
    () => false,
  );

  // Crash in that state and start again on the still-full disk.
  await petrel.kill9();
  petrel = await startPetrel(join(s.dir, 'petrel'), toml, s.listenPort);
  assert.match(
    await sendAlone(s.listenPort, 'while-full@test.local'),
    /^452 4\.3\.1 /,
    'new mail is refused while the disk is full',
  );
  // The resume was made on the full disk: its record took the outcome reserve, so the restart
  // does not bring the suspension back (and nothing else is in force).
  assert.deepEqual(
    (await petrelJson<{ id: string }[]>(petrel, ['shaping'])).map((x) => x.id),
    [],
    'the resume made on the full disk survived kill -9',
  );

  // Space returns: accepting resumes by itself.
  removeFile(filler);
  const after = await waitFor(
    'a 250 once space is back',
    async () => {
      const id = `after-${Date.now()}@test.local`;
      return /^250 /.test(await sendAlone(s.listenPort, id)) ? id : undefined;
    },
    15_000,
    300,
  );
  await waitFor(
    'the message accepted after the disk was freed at the sink',
    () => sink.messageIds().includes(after),
    20_000,
    200,
  );

  const ids = sink.messageIds();
  const duplicates = acked.filter((id) => ids.filter((x) => x === id).length > 1);
  assert.deepEqual(
    duplicates,
    [],
    `delivered again after kill -9 + restart (spool drained before the kill: ${drained})`,
  );
  assert.ok(drained, 'the spool recorded the outcomes while the disk was full');
  assert.ok(!ids.includes('while-full@test.local'));
});
