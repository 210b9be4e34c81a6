import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { scenario } from '../lib/scenario.js';
import { swaksQueued } from '../lib/submit.js';
import { startScenarioPetrel } from '../lib/petrel.js';
import { petrelCli, petrelJson } from '../lib/cli.js';
import { startSink, waitFor } from '@petrel/testkit';

test('petrel domain, binding summary, message trace (with the SMTP transcript) and classify against a running daemon', async (t) => {
  const s = await scenario(t);
  s.stopAfter(await startSink(s.dir, '127.0.0.2', s.mxPort));
  const trace = join(s.dir, 'example-trace.log');
  const p = await startScenarioPetrel(s, {
    extra: `[domain."example.test"]\ntrace_file = "${trace}"\n`,
  });
  const id = await swaksQueued(s.listenPort, 'a@test.local', 'bob@example.test');
  await p.waitForRecord('delivery', id);

  const dom = await petrelJson<{
    domain: string;
    routes: {
      binding: string;
      source: string;
      mx: { hosts: { name: string; preference: number; addresses: { address: string }[] }[] };
    }[];
  }>(p, ['domain', 'example.test']);
  assert.equal(dom.routes[0]!.binding, 'default');
  assert.equal(dom.routes[0]!.source, 'mx');
  assert.deepEqual(
    dom.routes[0]!.mx.hosts.map((h) => [h.name, h.preference, h.addresses.map((a) => a.address)]),
    [
      ['mx1.example.test', 10, ['127.0.0.2']],
      ['mx2.example.test', 20, ['127.0.0.3']],
    ],
  );
  const human = await petrelCli(p, ['domain', 'example.test']);
  assert.match(
    human.stdout,
    /^\s+MX 10 mx1\.example\.test 127\.0\.0\.2 \(ttl 60s\)$/m,
    'MX hosts with the TTL of their addresses (dnsmasq local-ttl=60)',
  );

  const bindings = await petrelJson<{ binding: string; delivered: number; received: number }[]>(p, [
    'binding',
    'summary',
  ]);
  const def = bindings.find((b) => b.binding === 'default')!;
  assert.equal(def.delivered, 1);
  assert.equal(def.received, 1);
  assert.match(
    (await petrelCli(p, ['binding', 'summary', 'default'])).stdout,
    /^Summary Statistics For Binding default \(group default\)$/m,
  );
  assert.equal((await petrelCli(p, ['binding', 'summary', 'nosuch'])).code, 1);

  type Trace = { event: { type: string }; transcript?: string[] }[];
  const tr = await waitFor('both events in the trace', async () => {
    const t = await petrelJson<Trace>(p, ['message', 'trace', id]);
    return t.length === 2 ? t : undefined;
  });
  assert.deepEqual(
    tr.map((e) => e.event.type),
    ['reception', 'delivery'],
  );
  const lines = tr[1]!.transcript ?? [];
  assert.ok(
    lines.some((l) => / c MAIL FROM:<a@test\.local>/.test(l)),
    lines.join('\n'),
  );
  assert.ok(lines.some((l) => / s 250 /.test(l)));

  const cls = await petrelJson<{ code: number; name: string; category: string }>(p, [
    'classify',
    '550 5.1.1 <x@y.test>: user unknown',
  ]);
  assert.deepEqual([cls.code, cls.name, cls.category], [10, 'Invalid Recipient', 'Hard']);
});
