import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scenario } from '../lib/scenario.js';
import { swaksVia } from '../lib/submit.js';
import { run } from '@petrel/testkit';
import { CLI, type EventRecord, startScenarioPetrel } from '../lib/petrel.js';

// RFC 5321 §6.3: loop.test's MX is Petrel's own listener (127.0.0.1 on the port it listens on).
// Delivering there would accept the message again as a new one, and again, without end.
test('an MX that is our own listener address and port: the message fails with "loops back to myself" after one reception, no loop', async (t) => {
  const s = await scenario(t, ['mx-host=loop.test,mx.loop.test,10', 'host-record=mx.loop.test,127.0.0.1']);
  const p = await startScenarioPetrel(s, {
    global: 'generate_bounces = false',
    // Port 25 in production; here the listener's own test port.
    extra: `[domain."loop.test"]\nremote_port = ${s.listenPort}\n`,
  });

  const r = await swaksVia(s.listenPort, 'a@test.local', 'bob@loop.test');
  assert.equal(r.code, 0, r.out);
  const id = /queued as (\S+)/.exec(r.out)![1]!;
  const final = (x: EventRecord): boolean =>
    x.message_id === id && (x.type === 'delivery' || x.type === 'permanent_failure');
  const ev = await p.waitForEvents('the outcome of the message', (e) => e.some(final));
  const outcome = ev.find(final)!;
  assert.equal(outcome.type, 'permanent_failure', `never delivered to ourselves: ${JSON.stringify(outcome)}`);
  assert.match(String(outcome.reply), /^554 5\.4\.6 .*mail for loop\.test loops back to myself/);
  assert.equal(outcome.recipient, 'bob@loop.test');

  // route explain says why, from the same config.
  const explain = await run(process.execPath, [CLI, 'route', 'explain', 'bob@loop.test', '--config', p.configFile], {
    timeoutMs: 15_000,
  });
  assert.equal(explain.code, 0, explain.stdout + explain.stderr);
  assert.match(
    explain.stdout,
    new RegExp(`^  skipped, Petrel's own listener \\(mail loop\\): 127\\.0\\.0\\.1:${s.listenPort}$`, 'm'),
  );
  assert.match(
    explain.stdout,
    /^ {2}failure: 554 5\.4\.6 \[internal\] mail for loop\.test loops back to myself \(permanent\)$/m,
  );

  // Stopped, the event log is complete: one reception, the one from swaks, and no delivery at all.
  assert.equal(await p.stop(), 0);
  const all = p.events();
  assert.deepEqual(
    all.filter((x) => x.type === 'reception').map((x) => x.message_id),
    [id],
    'exactly one reception: the message never came back',
  );
  assert.equal(all.filter((x) => x.type === 'delivery').length, 0);
  assert.equal(all.filter((x) => x.type === 'transient_failure').length, 0, 'not retried: the loop is permanent');
});
