import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { scenario } from '../lib/scenario.js';
import { swaksVia } from '../lib/submit.js';
import { CLI, type EventRecord, startScenarioPetrel } from '../lib/petrel.js';
import { startSink, freePort, waitFor, run } from '@petrel/testkit';

test('routes: a refusing first entry fails over to __mx__, type=mx and pref route a domain away from its own address, and route explain lists the entries', async (t) => {
  const s = await scenario(t);
  // example.test: mx1 (pref 10) = 127.0.0.2 has the sink; mx2 (pref 20) = 127.0.0.3.
  // nomx.test has no MX: without routes its mail would go to its own address 127.0.0.4, where nothing listens.
  const sink = s.stopAfter(await startSink(s.dir, '127.0.0.2', s.mxPort));
  const closed = await freePort('127.0.0.3'); // released at once: connections to it are refused
  const trace = join(s.dir, 'example-trace.log');
  const p = await startScenarioPetrel(s, {
    extra: `[domain."example.test"]
routes = ["smtp://127.0.0.3?port=${closed}", "__mx__"]
trace_file = "${trace}"
[domain."nomx.test"]
routes = ["smtp://example.test?type=mx&pref=20", "smtp://127.0.0.6?port=${closed}&pref=10"]
`,
  });

  const ids = new Map<string, string>();
  for (const to of ['bob@example.test', 'carol@nomx.test']) {
    const r = await swaksVia(s.listenPort, 'a@test.local', to);
    assert.equal(r.code, 0, r.out);
    ids.set(to, /queued as (\S+)/.exec(r.out)![1]!);
  }
  const delivered = (e: EventRecord[], id: string): EventRecord | undefined =>
    e.find((x) => x.type === 'delivery' && x.message_id === id);
  const ev = await p.waitForEvents('both deliveries', (e) => [...ids.values()].every((id) => delivered(e, id)));
  for (const id of ids.values()) {
    const d = delivered(ev, id)!;
    assert.equal(d.remote_ip, '127.0.0.2');
    assert.equal(d.remote_host, 'mx1.example.test');
    assert.equal(d.attempt, 1, 'the failover happens within one attempt, not by a retry');
  }
  assert.equal(sink.messages().length, 2);

  // The first entry was tried (and refused) before the MX host.
  const transcript = await waitFor('both connections in the trace', () => {
    const text = existsSync(trace) ? readFileSync(trace, 'utf8') : '';
    return /connecting to mx1\.example\.test \[127\.0\.0\.2\]/.test(text) ? text : undefined;
  });
  const first = transcript.indexOf('connecting to 127.0.0.3 [127.0.0.3]');
  assert.ok(first >= 0, transcript);
  assert.ok(first < transcript.indexOf('connecting to mx1.example.test [127.0.0.2]'), transcript);

  const explain = await run(process.execPath, [CLI, 'route', 'explain', 'bob@example.test', '--config', p.configFile], {
    timeoutMs: 15_000,
  });
  assert.equal(explain.code, 0, explain.stdout + explain.stderr);
  const out = explain.stdout;
  assert.match(out, /^route: +routes$/m);
  assert.match(out, new RegExp(`^  route 1 smtp://127\\.0\\.0\\.3\\?port=${closed} → 127\\.0\\.0\\.3:${closed}$`, 'm'));
  assert.match(out, /^ {2}route 2 __mx__ → MX of example\.test$/m);
  assert.match(out, new RegExp(`^    MX 10 mx1\\.example\\.test 127\\.0\\.0\\.2:${s.mxPort}$`, 'm'));
  assert.match(out, /^ +routes +\["smtp:\/\/127\.0\.0\.3\?port=\d+","__mx__"\] +domain "example.test"$/m);

  const nomx = await run(
    process.execPath,
    [CLI, 'route', 'explain', 'carol@nomx.test', '--config', p.configFile, '--json'],
    { timeoutMs: 15_000 },
  );
  assert.equal(nomx.code, 0, nomx.stderr);
  const x = JSON.parse(nomx.stdout) as { route: { source: string; routes: { entry: string; kind: string }[] } };
  assert.equal(x.route.source, 'routes');
  assert.deepEqual(
    x.route.routes.map((r) => [r.entry, r.kind]),
    [
      [`smtp://127.0.0.6?port=${closed}&pref=10`, 'a'],
      ['smtp://example.test?type=mx&pref=20', 'mx'],
    ],
  );
});
