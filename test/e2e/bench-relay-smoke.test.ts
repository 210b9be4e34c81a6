import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '@petrel/testkit';

const RELAY = fileURLToPath(new URL('../../../bench/relay.mjs', import.meta.url));

// The relay benchmark's harness must not rot: a small run, both peers, no threshold.
test('bench/relay.mjs smoke: Postfix and Petrel each relay every message to the sink', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-bench-smoke-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'relay.jsonl');
  const r = await run(process.execPath, [RELAY, '--messages', '200', '--sessions', '5', '--runs', '1', '--variants', 'smoke', '--out', out], { timeoutMs: 180_000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const recs = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { peer: string; complete: boolean; delivered: number; e2e_rate: number });
  assert.deepEqual(recs.map((x) => x.peer).sort(), ['petrel', 'postfix']);
  for (const x of recs) {
    assert.equal(x.complete, true, `${x.peer} delivered every message`);
    assert.ok(x.delivered >= 200);
    assert.ok(x.e2e_rate > 0);
  }
});
