import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { aioStats, waitFor } from '@petrel/testkit';
import type { ShapingState } from '@petrel/core';
import { scenario } from '../lib/scenario.js';
import { shapingRulesFile, startDeferringMx } from '../lib/shaping.js';
import { scenarioConfig, startScenarioPetrel } from '../lib/petrel.js';
import { petrelJson } from '../lib/cli.js';
import { sendEach } from '../lib/submit.js';
import { metric, scrape } from '../lib/metrics.js';

const TS01 =
  '421 4.7.0 [TS01] Messages from 127.0.0.1 temporarily deferred due to unexpected volume or user complaints';
// Long enough that a kill -9 and restart on a loaded 2-core machine (15 s seen at load 20) land inside it.
const SUSPEND_MS = 25_000;

test(
  'a [TS01] reply suspends the domain: no connection reaches the MX while suspended, even across kill -9 and restart, ' +
    'then delivery resumes with nothing lost or bounced',
  async (t) => {
    const s = await scenario(t);
    const { mx, statsFile, deferFile } = await startDeferringMx(s, TS01);
    const toml = scenarioConfig(s, {
      extra: shapingRulesFile(
        s,
        `[[rule]]
name = "test-ts01"
domains = ["example.test"]
regex = '\\[TS01\\]'
count = 2
within = "1m"
action = [{ action = "suspend", scope = "domain", duration = "${SUSPEND_MS / 1000}s" }]
`,
      ),
    });
    let petrel = await startScenarioPetrel(s, toml);
    await sendEach(s.listenPort, ['r1@example.test'], 'ts01');

    // Two deferrals with [TS01] (the first try, the retry 2 s later) trigger the rule.
    const ev = await petrel.waitForEvents(
      'the shaping suspension',
      (e) => e.some((x) => x.type === 'shaping' && x.change === 'set'),
      20_000,
    );
    const set = ev.find((x) => x.type === 'shaping')!;
    assert.equal(set.kind, 'suspend');
    assert.equal(set.domain, 'example.test');
    assert.equal(set.rule, 'test-ts01');
    assert.match(String(set.reply), /\[TS01\]/);
    const until = Date.parse(String(set.until));
    // The MX heals; only the suspension keeps Petrel away now.
    rmSync(deferFile);
    const states = await petrelJson<ShapingState[]>(petrel, ['shaping']);
    assert.equal(states.length, 1);
    assert.equal(states[0]!.until, until);
    assert.match(states[0]!.cause ?? '', /\[TS01\]/);
    const seenBefore = aioStats(statsFile).connections;

    // kill -9 during the suspension, then start again on the same spool.
    await petrel.kill9();
    petrel = await startScenarioPetrel(s, toml);
    const restored = await petrelJson<ShapingState[]>(petrel, ['shaping']);
    assert.equal(restored.length, 1, 'the suspension survived kill -9');
    assert.equal(restored[0]!.kind, 'suspend');
    assert.equal(restored[0]!.until, until, 'with its remaining time, not a fresh one');
    assert.ok(until > Date.now(), 'restarted within the suspension');
    const metrics = await scrape(join(petrel.dir, 'spool', 'control.sock'));
    assert.equal(metric(metrics, 'petrel_shaping_states{kind="suspend"}'), 1);
    assert.equal(metric(metrics, 'petrel_shaping_changes_total{kind="suspend",change="restored"}'), 1);

    // Until it ends, the MX sees no connection at all.
    await waitFor('the suspension end', () => (Date.now() >= until - 300 ? true : undefined), SUSPEND_MS + 5_000, 100);
    assert.equal(aioStats(statsFile).connections, seenBefore, 'no connection to the MX during the suspension');

    // Then the message goes, once, without a bounce.
    await petrel.waitForEvents('the delivery', (e) => e.some((x) => x.type === 'delivery'), 15_000);
    const stats = aioStats(statsFile);
    assert.ok(stats.opened.every((o) => o * 1000 < until - SUSPEND_MS + 2_000 || o * 1000 >= until - 50));
    assert.equal(mx.messages().length, 1);
    const all = petrel.events();
    assert.equal(all.filter((x) => x.type === 'permanent_failure' || x.type === 'bounce').length, 0);
    assert.ok(all.some((x) => x.type === 'shaping' && x.change === 'restored'));
    assert.ok(all.some((x) => x.type === 'shaping' && x.change === 'expired'));
    assert.deepEqual(await petrelJson<ShapingState[]>(petrel, ['shaping']), []);
  },
);
