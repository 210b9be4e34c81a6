import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scenario } from '../lib/scenario.js';
import { swaksVia } from '../lib/submit.js';
import { aioStats, startAio } from '@petrel/testkit';
import { type EventRecord, scenarioConfig, startScenarioPetrel } from '../lib/petrel.js';
import { petrelCli, petrelJson } from '../lib/cli.js';

// aio-server: slow* recipients get their 250 after 2 s, soft* get 451. One recipient per job and
// aggressive allocation: a message to three slow recipients is three active jobs at once, for
// which the connection goal is three connections, capped by max_outbound_connections. The MX counts
// its concurrent connections itself (sampling Petrel through the CLI missed short overlaps under load).
test('config reload: a raised max_outbound_connections opens more connections, a shorter retry_interval schedules the next retry', async (t) => {
  const s = await scenario(t);
  const statsFile = join(s.dir, 'mx-stats.json');
  s.stopAfter(await startAio(s.dir, '127.0.0.2', s.mxPort, ['--stats', statsFile]));
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
  await p.waitForEvents('the first three deliveries', delivered(before), 30_000);
  assert.equal(aioStats(statsFile).max_concurrent, 1, 'max_outbound_connections = 1 at start');
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
  await p.waitForEvents('the next three deliveries', delivered(after), 30_000);
  assert.ok(aioStats(statsFile).max_concurrent >= 2, 'more than one connection once the domain limit of 1 is gone');

  // The retry scheduled under the old 1 h interval is made due by hand; the next one follows the new 1 s.
  assert.equal((await petrelCli(p, ['flush', '--domain', 'example.test'])).code, 0);
  await p.waitForEvents('a third attempt, 1 s after the second', () => transients().length >= 3, 20_000);
  const [, second, third] = transients();
  const gap = Date.parse(String(third!.time)) - Date.parse(String(second!.time));
  assert.ok(gap < 10_000, `retried after ${gap} ms, under the reloaded retry_interval (1 s), not the old 1 h`);
});
