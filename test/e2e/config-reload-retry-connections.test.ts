import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { scenario } from '../lib/scenario.js';
import { swaksVia } from '../lib/submit.js';
import { startAio } from '@petrel/testkit';
import { type EventRecord, type PetrelHandle, scenarioConfig, startScenarioPetrel } from '../lib/petrel.js';
import { petrelCli, petrelJson } from '../lib/cli.js';

/** Samples the open outbound connections until `done` holds (bounded); returns the highest seen. */
async function peakConcurrency(p: PetrelHandle, done: () => boolean, ms = 30_000): Promise<number> {
  let peak = 0;
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${ms} ms; events:\n${p
          .events()
          .map((e) => JSON.stringify(e))
          .join('\n')}`,
      );
    const s = await petrelJson<Record<string, number>>(p, ['summary']);
    peak = Math.max(peak, s.outboundConcurrency ?? 0);
  }
  return peak;
}

// aio-server: slow* recipients get their 250 after 2 s, soft* get 451. One recipient per job and
// aggressive allocation: a message to three slow recipients is three active jobs at once, for
// which the connection goal is three connections, capped by max_outbound_connections.
test('config reload: a raised max_outbound_connections opens more connections, a shorter retry_interval schedules the next retry', async (t) => {
  const s = await scenario(t);
  s.stopAfter(await startAio(s.dir, '127.0.0.2', s.mxPort));
  const base = scenarioConfig(s, {
    global:
      'retry_interval = "1h"\nmax_retry_interval = "1h"\nmax_recipients_per_batch = 1\nconnection_allocation_aggressiveness = "high"\nmax_outbound_connections = 100\nmessage_expiration = "1d"\ngenerate_bounces = false',
  });
  const p = await startScenarioPetrel(s, `${base}[domain."example.test"]\nmax_outbound_connections = 1\n`);

  const send = async (to: string): Promise<string> => {
    const r = await swaksVia(s.listenPort, 'a@test.local', to);
    assert.equal(r.code, 0, r.out);
    return /queued as (\S+)/.exec(r.out)![1]!;
  };
  const delivered = (id: string) => (): boolean =>
    p.events().filter((x) => x.type === 'delivery' && x.message_id === id).length === 3;

  const before = await send('slow1@example.test,slow2@example.test,slow3@example.test');
  assert.equal(await peakConcurrency(p, delivered(before)), 1, 'max_outbound_connections = 1 at start');
  const soft = await send('soft@example.test');
  const transients = (): EventRecord[] =>
    p.events().filter((x) => x.type === 'transient_failure' && x.message_id === soft);
  await p.waitForEvents('the first transient failure', () => transients().length === 1);

  writeFileSync(
    p.configFile,
    base.replace(
      'retry_interval = "1h"\nmax_retry_interval = "1h"',
      'retry_interval = "1s"\nmax_retry_interval = "1s"',
    ),
  );
  const r = await petrelJson<{ applied: string[]; restartRequired: string[] }>(p, ['config', 'reload']);
  assert.deepEqual([...r.applied].sort(), [
    'max_outbound_connections (domain "example.test")',
    'max_retry_interval (global)',
    'retry_interval (global)',
  ]);

  const after = await send('slow4@example.test,slow5@example.test,slow6@example.test');
  assert.ok(
    (await peakConcurrency(p, delivered(after))) >= 2,
    'more than one connection once the domain limit of 1 is gone',
  );

  // The retry scheduled under the old 1 h interval is made due by hand; the next one follows the new 1 s.
  assert.equal((await petrelCli(p, ['flush', '--domain', 'example.test'])).code, 0);
  await p.waitForEvents('a third attempt, 1 s after the second', () => transients().length >= 3, 20_000);
  const [, second, third] = transients();
  const gap = Date.parse(String(third!.time)) - Date.parse(String(second!.time));
  assert.ok(gap < 10_000, `retried after ${gap} ms, under the reloaded retry_interval (1 s), not the old 1 h`);
});
