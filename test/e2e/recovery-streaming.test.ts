import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { scenario } from '../lib/scenario.js';
import { scenarioConfig, startScenarioPetrel } from '../lib/petrel.js';
import { fillSpool } from '../lib/spool.js';
import { startSink, waitFor } from '@petrel/testkit';

const DOMAINS = Array.from({ length: 8 }, (_, i) => `stream${i}.test`);
const N = 2000;
/** Small chunks: the replay of N messages takes hundreds of event-loop turns, each a chance to deliver. */
const CHUNK = 4;
const RECOVERY_DONE = 'spool recovery done';

test('after a restart the first message reaches the MX while the spool is still replaying the queue', async (t) => {
  const s = await scenario(
    t,
    DOMAINS.map((d) => `mx-host=${d},mx1.example.test,10`),
  );
  const cfg = scenarioConfig(s, {
    global: 'max_outbound_connections = 2',
    extra: `[spool]\nrecovery_chunk_size = ${CHUNK}\n`,
    // "spool recovery done" is an info line: the signal that the replay has ended.
  }).replace('log_level = "warn"', 'log_level = "info"');
  const home = join(s.dir, 'petrel');
  // The daemon creates the spool's schema; the queue is then written into it directly (far faster than SMTP).
  const first = await startScenarioPetrel(s, cfg, home);
  assert.equal(await first.stop(), 0);
  const sent = fillSpool(join(home, 'spool'), N, DOMAINS, 'stream');

  const sink = s.stopAfter(await startSink(s.dir, '127.0.0.2', s.mxPort));
  const second = await startScenarioPetrel(s, cfg, home);
  // The signal is the order of two observations, not a duration: when the MX holds its first
  // message, has the daemon logged the end of the replay yet? If delivery waited for the replay,
  // the answer would always be yes.
  let doneAtFirstDelivery: boolean | undefined;
  await waitFor(
    'the first replayed message at the MX',
    () => {
      const done = second.output().includes(RECOVERY_DONE);
      if (sink.messageIds().length === 0) return false;
      doneAtFirstDelivery = done;
      return true;
    },
    60_000,
    20,
  );
  assert.equal(doneAtFirstDelivery, false, 'a message was delivered before the replay had finished');

  // Once the replay ends: every message arrives once, and the spool counted the whole queue.
  await waitFor('the end of the replay', () => second.output().includes(RECOVERY_DONE), 120_000);
  const done = second
    .output()
    .split('\n')
    .find((l) => l.includes(RECOVERY_DONE));
  assert.ok(done !== undefined);
  assert.equal((JSON.parse(done.slice(done.indexOf('{'))) as { messages: number }).messages, N, 'all replayed');
  await waitFor(`all ${N} messages at the MX`, () => sink.messageIds().length >= N, 300_000);
  const ids = sink.messageIds();
  assert.deepEqual(new Set(ids), new Set(sent), 'none skipped');
  assert.equal(ids.length, N, 'none delivered twice');
});
