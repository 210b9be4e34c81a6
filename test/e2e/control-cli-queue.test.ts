import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import type { QueueCount, QueuedJobInfo, Suspension } from '@petrel/core';
import { scenario } from '../lib/scenario.js';
import { scenarioConfig, startScenarioPetrel } from '../lib/petrel.js';
import { petrelCli, petrelJson } from '../lib/cli.js';
import { startSink, waitFor } from '@petrel/testkit';

test('every queue verb against a running daemon with real queued mail, human and --json', async (t) => {
  const s = await scenario(t);
  const sink = s.stopAfter(await startSink(s.dir, '127.0.0.2', s.mxPort));
  const cfgText = scenarioConfig(s);
  const p = await startScenarioPetrel(s, cfgText);

  // Suspend example.test, then inject: the mail is visible in the queue, not delivered.
  const sus = await petrelCli(p, ['suspend', '--domain', 'example.test', '--reason', 'maintenance window']);
  assert.equal(sus.code, 0, sus.stderr);
  assert.match(sus.stdout, /^suspended domain example\.test/);
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const inj = await petrelJson<{ id: string }>(p, [
      'inject',
      '--from',
      'sender@test.local',
      '--to',
      `rcpt${i}@example.test`,
    ]);
    ids.push(inj.id);
  }
  const list = await petrelJson<Suspension[]>(p, ['suspend', '--list']);
  assert.deepEqual(
    list.map((x) => [x.domain, x.reason]),
    [['example.test', 'maintenance window']],
  );

  const rows = await waitFor('3 suspended messages in the queue', async () => {
    const q = await petrelJson<QueueCount[]>(p, ['queue']);
    const row = q.find((r) => r.domain === 'example.test');
    return row && row.active + row.delayed === 3 ? q : undefined;
  });
  assert.equal(rows.find((r) => r.domain === 'example.test')!.suspended, true);
  const human = await petrelCli(p, ['queue']);
  assert.match(human.stdout, /^Group\/Binding\s+Domain\s+C\s+AQ\s+DQ\s+IF\s+Oldest\s+State$/m);
  assert.match(human.stdout, /^default\/default\s+example\.test\s+0\s+\d+\s+\d+\s+0\s+\S+\s+suspended$/m);

  const shown = await petrelJson<QueuedJobInfo[]>(p, ['queue', 'show', 'example.test']);
  assert.deepEqual(shown.map((j) => j.messageId).sort(), [...ids].sort());
  const shape = await petrelCli(p, ['queue', 'shape']);
  assert.match(shape.stdout, /^TOTAL\s+3\s+3\b/m);
  assert.match(shape.stdout, /^example\.test\s+3\s+3\b/m);

  const details = await petrelJson<{
    envelope: { id: string; sender: string };
    recipients: { address: string; status: string }[];
  }>(p, ['message', 'show', ids[0]!]);
  assert.equal(details.envelope.sender, 'sender@test.local');
  assert.deepEqual(
    details.recipients.map((r) => [r.address, r.status]),
    [['rcpt0@example.test', 'pending']],
  );

  const dry = await petrelJson<{ failed: number }>(p, ['fail', '--domain', 'example.test', '--dry-run', '--quiet']);
  assert.equal(dry.failed, 3);
  assert.equal(sink.messages().length, 0);

  // Resume: the held mail flows to the sink.
  const res = await petrelCli(p, ['resume', '--domain', 'example.test']);
  assert.equal(res.code, 0, res.stderr);
  await waitFor('3 messages at the sink', () => sink.messages().length === 3, 20_000);
  const summary = await petrelJson<{ received: number; delivered: number; totalQueue: number }>(p, ['summary']);
  assert.equal(summary.received, 3);
  assert.equal(summary.delivered, 3);
  assert.equal(summary.totalQueue, 0);

  // fail: a suspended domain's mail fails permanently, quietly.
  await petrelCli(p, ['suspend', '--domain', 'nomx.test']);
  const victim = await petrelJson<{ id: string }>(p, ['inject', '--from', 'sender@test.local', '--to', 'x@nomx.test']);
  await waitFor('nomx.test queued', async () =>
    (await petrelJson<QueueCount[]>(p, ['queue', '--domain', 'nomx.test'])).some((r) => r.active + r.delayed === 1),
  );
  const failed = await petrelCli(p, ['fail', '--domain', 'nomx.test', '--quiet']);
  assert.equal(failed.code, 0, failed.stderr);
  assert.match(failed.stdout, /^nomx\.test purged\. 1 messages failed\./);
  await p.waitForEvents('the failed record', (ev) =>
    ev.some((e) => e.message_id === victim.id && (e.type === 'permanent_failure' || e.type === 'expiration')),
  );

  // reroute: wild.test mail (held) goes to example.test's MX instead.
  await petrelCli(p, ['suspend', '--domain', 'wild.test']);
  const moved = await petrelJson<{ id: string }>(p, [
    'inject',
    '--from',
    'sender@test.local',
    '--to',
    'someone@wild.test',
  ]);
  await waitFor('wild.test queued', async () =>
    (await petrelJson<QueueCount[]>(p, ['queue', '--domain', 'wild.test'])).some((r) => r.active + r.delayed === 1),
  );
  const rr = await petrelCli(p, ['reroute', 'wild.test', 'example.test']);
  assert.equal(rr.code, 0, rr.stderr);
  assert.match(rr.stdout, /^Moved 1 messages from 'wild\.test' to 'example\.test'/);
  await p.waitForEvents('the rerouted delivery', (ev) =>
    ev.some((e) => e.type === 'delivery' && e.message_id === moved.id && e.remote_ip === '127.0.0.2'),
  );

  // flush and rebind answer with counts (nothing delayed or rebindable left is fine).
  assert.match(
    (await petrelCli(p, ['flush', '--domain', 'example.test'])).stdout,
    /^example\.test flushed\.\s+\d+ messages requeued\./,
  );
  assert.match((await petrelCli(p, ['rebind', 'all'])).stdout, /^Rebound \d+ messages\./);

  // config reload: a delivery option applies live; a broken file keeps the old config and says why.
  writeFileSync(p.configFile, cfgText.replace('retry_interval = "2s"', 'retry_interval = "7s"'));
  const ok = await petrelCli(p, ['config', 'reload']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /applied: retry_interval \(global\)$/m);
  assert.doesNotMatch(ok.stdout, /restart required/);
  // What services bind at start is named, not silently ignored.
  writeFileSync(
    p.configFile,
    `${cfgText.replace('max_message_size = "10MB"', 'max_message_size = "5MB"')}\n[bounce]\nclassify = false\n`,
  );
  const later = await petrelCli(p, ['config', 'reload']);
  assert.equal(later.code, 0, later.stderr);
  assert.match(later.stdout, /restart required for: listener, bounce/);
  // The CLI finds the socket without validating the (now broken) file, and the daemon says why.
  writeFileSync(p.configFile, cfgText.replace('retry_interval = "2s"', 'retry_interval = "soon"'));
  const bad = await petrelCli(p, ['config', 'reload']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^petrel: \S+petrel\.toml:\d+: global\.retry_interval: expected a duration/);
  writeFileSync(p.configFile, cfgText);
  assert.equal((await petrelCli(p, ['status'])).code, 0, 'still running on the old config');
  assert.equal((await petrelCli(p, ['log', 'reopen'])).code, 0);

  // petrel stop: the daemon exits cleanly; then status says it is not running.
  const stop = await petrelCli(p, ['stop']);
  assert.equal(stop.code, 0, stop.stderr);
  await waitFor('the control socket to go away', async () => (await petrelCli(p, ['status'])).code === 1);
  const after = await petrelCli(p, ['status']);
  assert.match(after.stderr, /^petrel: petrel is not running \(no control socket at /);
});
