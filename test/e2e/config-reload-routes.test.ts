import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { scenario } from '../lib/scenario.js';
import { swaksVia } from '../lib/submit.js';
import { startSink } from '@petrel/testkit';
import { type EventRecord, scenarioConfig, startScenarioPetrel } from '../lib/petrel.js';
import { petrelJson } from '../lib/cli.js';

// reload.test has no DNS records at all (NXDOMAIN, a permanent failure): only a `routes` entry
// given by the reload can deliver it. gw.test is reached only through its gateway.
test('config reload: routes added to a domain and a changed gateway take effect for the next message, idle connections on the old gateway included', async (t) => {
  const s = await scenario(t);
  const oldHop = s.stopAfter(await startSink(s.dir, '127.0.0.2', s.mxPort));
  const newHop = s.stopAfter(await startSink(s.dir, '127.0.0.3', s.mxPort));
  // A long idle_timeout keeps the connection to the old gateway open across the reload: the
  // reload must not let the next message ride on it.
  const base = scenarioConfig(s, {
    global: 'idle_timeout = "60s"\ngenerate_bounces = false',
  });
  const before = `${base}[domain."gw.test"]\ngateway = ["127.0.0.2:${s.mxPort}"]\n`;
  const p = await startScenarioPetrel(s, before);

  const send = async (to: string): Promise<string> => {
    const r = await swaksVia(s.listenPort, 'a@test.local', to);
    assert.equal(r.code, 0, r.out);
    return /queued as (\S+)/.exec(r.out)![1]!;
  };
  const first = await send('first@gw.test');
  await p.waitForEvents('delivery through the old gateway', (e) =>
    e.some((x) => x.type === 'delivery' && x.message_id === first && x.remote_ip === '127.0.0.2'),
  );

  // The same reload changes a listener limit, which binds at start.
  const after = `${base.replace('max_message_size = "10MB"', 'max_message_size = "5MB"')}[domain."gw.test"]\ngateway = ["127.0.0.3:${s.mxPort}"]\n[domain."reload.test"]\nroutes = ["smtp://127.0.0.3?port=${s.mxPort}"]\n`;
  writeFileSync(p.configFile, after);
  const r = await petrelJson<{ applied: string[]; restartRequired: string[] }>(p, ['config', 'reload']);
  assert.deepEqual(r.applied, ['gateway (domain "gw.test")', 'routes (domain "reload.test")']);
  assert.deepEqual(r.restartRequired, ['listener'], 'a listener limit needs a restart and says so');

  const routed = await send('bob@reload.test');
  const gw = await send('second@gw.test');
  const isDone = (x: EventRecord, id: string): boolean =>
    x.message_id === id && (x.type === 'delivery' || x.type === 'permanent_failure' || x.type === 'transient_failure');
  const ev = await p.waitForEvents(
    'both messages attempted',
    (e) => e.some((x) => isDone(x, routed)) && e.some((x) => isDone(x, gw)),
  );
  const outcome = (id: string): EventRecord => ev.find((x) => isDone(x, id))!;
  assert.equal(
    outcome(routed).type,
    'delivery',
    `the routes entry delivers reload.test, no MX lookup: ${JSON.stringify(outcome(routed))}`,
  );
  assert.equal(outcome(routed).remote_ip, '127.0.0.3');
  assert.equal(outcome(gw).type, 'delivery', JSON.stringify(outcome(gw)));
  assert.equal(outcome(gw).remote_ip, '127.0.0.3', 'the new gateway, not the idle connection to the old one');
  assert.equal(newHop.messages().length, 2);
  assert.equal(oldHop.messages().length, 1);
});
