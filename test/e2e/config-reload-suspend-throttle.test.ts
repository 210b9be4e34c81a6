import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { scenario } from '../lib/scenario.js';
import { swaksVia } from '../lib/submit.js';
import { startSink, type Sink, waitFor } from '@petrel/testkit';
import { type EventRecord, scenarioConfig, startScenarioPetrel } from '../lib/petrel.js';
import { petrelJson } from '../lib/cli.js';

// retry_interval = 1h: held and throttled mail would wait an hour on its own, so a delivery
// within seconds of the reload is the reload's doing.
test('config reload: lifting suspend_delivery, outbound_throttle_connections and outbound_throttle_messages releases the mail they held at once', async (t) => {
  const s = await scenario(t, ['host-record=thr.test,127.0.0.5']);
  const sinks = new Map<string, Sink>();
  // example.test → mx1 127.0.0.2; nomx.test → 127.0.0.4 (the shared zone); thr.test → 127.0.0.5.
  for (const [domain, ip] of [
    ['example.test', '127.0.0.2'],
    ['nomx.test', '127.0.0.4'],
    ['thr.test', '127.0.0.5'],
  ] as const) {
    const sink = s.stopAfter(await startSink(s.dir, ip, s.mxPort));
    sinks.set(domain, sink);
  }
  const base = scenarioConfig(s, {
    global: 'retry_interval = "1h"\nmax_retry_interval = "1h"\ngenerate_bounces = false',
  });
  const limits = `[domain."example.test"]\nsuspend_delivery = true\n[domain."nomx.test"]\noutbound_throttle_connections = "1/1h"\n[domain."thr.test"]\noutbound_throttle_messages = "1/1h"\n`;
  const p = await startScenarioPetrel(s, `${base}${limits}`);

  const send = async (to: string): Promise<string> => {
    const r = await swaksVia(s.listenPort, 'a@test.local', to);
    assert.equal(r.code, 0, r.out);
    return /queued as (\S+)/.exec(r.out)![1]!;
  };
  const delivered = (e: readonly EventRecord[], id: string): boolean =>
    e.some((x) => x.type === 'delivery' && x.message_id === id);
  const summary = (): Promise<Record<string, number>> => petrelJson<Record<string, number>>(p, ['summary']);

  // Each throttle lets one through: the first connection to nomx.test, the first message to thr.test.
  const firsts = [await send('one@nomx.test'), await send('one@thr.test')];
  await p.waitForEvents('the first message of each throttled domain', (e) => firsts.every((id) => delivered(e, id)));
  // The next nomx.test message needs a new connection (and so a token): wait for the old one to go (idle_timeout 1s).
  await waitFor('outbound connections to close', async () => (await summary()).outboundConcurrency === 0);
  const held = [await send('two@nomx.test'), await send('two@thr.test'), await send('bob@example.test')];
  await waitFor('the three held messages queued', async () => (await summary()).totalQueue === 3);
  assert.ok(!held.some((id) => delivered(p.events(), id)), 'nothing held was delivered before the reload');

  writeFileSync(p.configFile, base);
  const r = await petrelJson<{ applied: string[]; restartRequired: string[] }>(p, ['config', 'reload']);
  assert.deepEqual([...r.applied].sort(), [
    'outbound_throttle_connections (domain "nomx.test")',
    'outbound_throttle_messages (domain "thr.test")',
    'suspend_delivery (domain "example.test")',
  ]);
  assert.deepEqual(r.restartRequired, []);

  await p.waitForEvents(
    'every held message delivered after the reload',
    (e) => held.every((id) => delivered(e, id)),
    20_000,
  );
  assert.equal(sinks.get('nomx.test')!.messages().length, 2);
  assert.equal(sinks.get('thr.test')!.messages().length, 2);
  assert.equal(sinks.get('example.test')!.messages().length, 1);
});
