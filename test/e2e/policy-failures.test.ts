import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scenario } from '../lib/scenario.js';
import { startSink, swaks } from '@petrel/testkit';
import { startScenarioPetrel } from '../lib/petrel.js';
import { scrape } from '../lib/metrics.js';

// A hook that throws and a hook that never settles (past the module's 500 ms limit): each costs
// its command 451 4.3.0, and the daemon keeps serving.
const MODULE = `
export default {
  rcptTo(ctx) {
    if (ctx.recipient === 'throw@fail.test') throw new Error('policy bug on purpose');
    if (ctx.recipient === 'hang@fail.test') return new Promise(() => {});
  },
};
`;

test('a throwing hook and a hook past its time limit each answer 451 4.3.0; the daemon still serves', {
  timeout: 120_000,
}, async (t) => {
  const s = await scenario(t, ['mx-host=fail.test,sink.fail.test,10', 'host-record=sink.fail.test,127.0.0.5']);
  s.stopAfter(await startSink(s.dir, '127.0.0.5', s.mxPort));
  const dir = join(s.dir, 'petrel');
  mkdirSync(join(dir, 'policy'), { recursive: true });
  writeFileSync(join(dir, 'policy', 'faulty.mjs'), MODULE);
  const extra = '\n[[policy]]\nmodule = "policy/faulty.mjs"\ntimeout = "500ms"\n';
  const petrel = await startScenarioPetrel(s, { extra }, dir);
  const server = ['--server', `127.0.0.1:${s.listenPort}`];

  const thrown = await swaks([...server, '--from', 'a@x.test', '--to', 'throw@fail.test']);
  assert.match(thrown.out, /<\*\* +451 4\.3\.0 Error: local error in processing/);
  const started = Date.now();
  const hung = await swaks([...server, '--from', 'a@x.test', '--to', 'hang@fail.test']);
  assert.match(hung.out, /<\*\* +451 4\.3\.0 Error: local error in processing/);
  assert.ok(Date.now() - started >= 450, 'the answer came after the time limit');

  // Still serving: a normal message is accepted and delivered.
  const ok = await swaks([...server, '--from', 'a@x.test', '--to', 'fine@fail.test']);
  assert.equal(ok.code, 0, ok.out);
  await petrel.waitForEvents('a delivery', (e) =>
    e.some((x) => x.type === 'delivery' && x.recipient === 'fine@fail.test'),
  );

  // One log line per failure with module, hook and error; the metrics count the error and the timeout.
  const log = petrel.output();
  assert.match(log, /"policy":"faulty\.mjs".*"hook":"rcptTo".*policy bug on purpose/);
  assert.match(log, /"policy":"faulty\.mjs".*"hook":"rcptTo".*timed out after 500 ms/);
  const metrics = await scrape(join(dir, 'spool', 'control.sock'));
  assert.match(metrics, /petrel_policy_hook_calls_total\{module="faulty\.mjs",hook="rcptTo"\} 3/);
  assert.match(metrics, /petrel_policy_hook_errors_total\{module="faulty\.mjs",hook="rcptTo"\} 1/);
  assert.match(metrics, /petrel_policy_hook_timeouts_total\{module="faulty\.mjs",hook="rcptTo"\} 1/);
});
