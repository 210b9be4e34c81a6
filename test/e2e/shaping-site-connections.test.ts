import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { aioStats, startAio } from '@petrel/testkit';
import type { SiteCount } from '@petrel/core';
import { scenario } from '../lib/scenario.js';
import { startScenarioPetrel } from '../lib/petrel.js';
import { petrelJson } from '../lib/cli.js';
import { sendEach } from '../lib/submit.js';

const LIMIT = 2;
const PER_DOMAIN = 5;

test('two domains with the same MX share the site connection limit: the MX never sees more at once', async (t) => {
  // shop1.test and shop2.test both name mx1.example.test: one MX rollup site.
  const s = await scenario(t, ['mx-host=shop1.test,mx1.example.test,10', 'mx-host=shop2.test,mx1.example.test,10']);
  const statsFile = join(s.dir, 'mx-stats.json');
  const mx = s.stopAfter(await startAio(s.dir, '127.0.0.2', s.mxPort, ['--stats', statsFile]));
  const petrel = await startScenarioPetrel(s, {
    // One message per connection, so each domain's pool alone would open PER_DOMAIN connections.
    global: 'max_deliveries_per_connection = 1',
    extra: `[shaping]\nsite_max_connections = ${LIMIT}\n`,
  });
  // "slow" recipients: the MX holds each RCPT 2 s, so connections overlap.
  const rcpts = [1, 2].flatMap((d) => Array.from({ length: PER_DOMAIN }, (_, i) => `slow${i}@shop${d}.test`));
  await sendEach(s.listenPort, rcpts, 'site');
  const sites = await petrelJson<SiteCount[]>(petrel, ['queue', '--sites']);
  const shared = sites.find((x) => x.domains.includes('shop1.test') && x.domains.includes('shop2.test'));
  assert.ok(shared, `one site for both domains: ${JSON.stringify(sites)}`);
  assert.equal(shared.site, 'mx1.example.test');
  await petrel.waitForEvents(
    'every delivery',
    (e) => e.filter((x) => x.type === 'delivery').length >= rcpts.length,
    60_000,
  );
  const stats = aioStats(statsFile);
  assert.ok(stats.max_concurrent <= LIMIT, `at most ${LIMIT} at once, the MX saw ${stats.max_concurrent}`);
  assert.equal(stats.max_concurrent, LIMIT, 'the limit was reached (without it the pools open more)');
  assert.equal(mx.messages().length, rcpts.length);
});
