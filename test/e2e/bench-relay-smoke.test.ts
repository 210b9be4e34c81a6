import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '@petrel/testkit';

const RELAY = fileURLToPath(new URL('../../../bench/relay.mjs', import.meta.url));

interface Rec {
  kind: string;
  peer: string;
  run?: number;
  order?: string[];
  position?: number;
  complete: boolean;
  dropped: boolean;
  delivered?: number;
  e2e_rate: number;
  latencies_n?: number;
  p50_ms?: number;
  peak_pss_mib?: number;
  max_processes?: number;
  per_message?: number;
  messages?: number;
  p99_ms?: number;
  peak_rate?: number;
  fraction?: number;
  sender?: { target_rate: number; send_rate: number; accepted: number; failed: number };
}

// The relay benchmark's harness must not rot: a small run, both peers, two runs (so both orders),
// the direct ceiling between them, the control script, the paced load and the fsync count; every
// figure the doc shows must be there. No threshold.
test('bench/relay.mjs smoke: both orders, direct, PSS, latency, paced load and fsyncs, and the control run', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-bench-smoke-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'relay.jsonl');
  const r = await run(
    process.execPath,
    [
      RELAY,
      '--messages',
      '200',
      '--sessions',
      '5',
      '--runs',
      '2',
      '--variants',
      'smoke',
      '--fsync-messages',
      '50',
      '--out',
      out,
    ],
    { timeoutMs: 420_000 },
  );
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /run 1\/2: order postfix then direct then petrel/);
  assert.match(r.stdout, /run 2\/2: order petrel then direct then postfix/);
  assert.match(r.stdout, /# done: 0 run\(s\) dropped/);
  const recs = readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Rec);
  const runs = recs.filter((x) => x.kind === 'run');
  assert.deepEqual(
    runs.map((x) => `${x.run} ${x.position} ${x.peer}`),
    [
      '1 1 postfix',
      '1 2 direct',
      '1 3 petrel',
      '1 4 postfix-control',
      '2 1 petrel',
      '2 2 direct',
      '2 3 postfix',
      '2 4 postfix-control',
    ],
  );
  for (const x of runs) {
    assert.equal(x.complete, true, `${x.peer} run ${x.run} complete`);
    assert.equal(x.dropped, false);
    assert.ok(x.e2e_rate > 0);
    if (x.peer === 'postfix-control') continue;
    assert.ok((x.delivered ?? 0) >= 200);
    if (x.peer === 'direct') continue;
    assert.equal(x.latencies_n, 200, `${x.peer}: a latency per recipient`);
    assert.ok(Number.isFinite(x.p50_ms), `${x.peer}: p50`);
    assert.ok((x.peak_pss_mib ?? 0) > 1, `${x.peer}: PSS`);
  }
  // Postfix is many processes (master, smtpd, cleanup, qmgr, smtp, ...): PSS summed over all of them
  assert.ok(runs.filter((x) => x.peer === 'postfix').every((x) => (x.max_processes ?? 0) >= 5));
  // the paced load: each peer at half the rate it reached in the same run, every message delivered
  const paced = recs.filter((x) => x.kind === 'paced');
  assert.deepEqual(
    paced.map((x) => `${x.run} ${x.peer}`),
    ['1 postfix', '1 petrel', '2 petrel', '2 postfix'],
  );
  for (const x of paced) {
    const peak = runs.find((y) => y.peer === x.peer && y.run === x.run)?.e2e_rate;
    assert.equal(x.peak_rate, peak, `${x.peer} run ${x.run}: the peak is that run's rate`);
    assert.equal(x.sender?.target_rate, (peak ?? NaN) * 0.5);
    assert.equal(x.complete, true, `paced ${x.peer} run ${x.run} complete`);
    assert.equal(x.sender?.accepted, 200);
    assert.equal(x.sender?.failed, 0);
    assert.equal(x.latencies_n, 200, `paced ${x.peer}: a latency per recipient`);
    assert.ok(Number.isFinite(x.p99_ms), `paced ${x.peer}: p99`);
  }
  const fsyncs = recs.filter((x) => x.kind === 'fsync');
  if (spawnSync('strace', ['-V']).status === 0) {
    assert.deepEqual(
      fsyncs.map((x) => x.peer),
      ['postfix', 'petrel'],
    );
    // both commit every message durably before 250: at least one fsync per group of messages
    for (const x of fsyncs) assert.ok((x.per_message ?? 0) > 0 && x.messages === 50, `${x.peer} fsyncs/msg`);
  } else {
    assert.match(r.stdout, /strace not installed, skipped/);
  }
});
