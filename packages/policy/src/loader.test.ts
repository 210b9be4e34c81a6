import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPetrelError, silentLogger } from '@petrel/core';
import { loadPolicySet } from './loader.js';
import { PolicyMetrics } from './metrics.js';

const dir = mkdtempSync(join(tmpdir(), 'petrel-policy-loader-'));
const env = { logger: silentLogger(), metrics: new PolicyMetrics() };
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

async function refusal(path: string): Promise<string> {
  try {
    await loadPolicySet([{ file: path }], env);
  } catch (e) {
    assert.ok(isPetrelError(e, 'PETREL_ERR_POLICY'), String(e));
    assert.equal(e.details.file, path);
    return e.message;
  }
  assert.fail('expected the module to be refused');
}

test('loads a module and lists its hooks, in config order', async () => {
  const a = file('a.mjs', 'export default { rcptTo() {}, onDelivery() {} };');
  const b = file('b.mjs', 'export default { rcptTo() {} };');
  const set = await loadPolicySet([{ file: a }, { file: b, timeoutMs: 100 }], env);
  assert.deepEqual(
    set.modules.map((m) => [m.name, m.timeoutMs]),
    [
      ['a.mjs', 5000],
      ['b.mjs', 100],
    ],
  );
  assert.deepEqual(set.hookNames().sort(), ['onDelivery', 'rcptTo']);
});

test('an unknown hook name is refused with the file, the name and a suggestion', async () => {
  const p = file('typo.mjs', 'export default { rcptto() {} };');
  const m = await refusal(p);
  assert.ok(m.startsWith(`${p}: unknown hook "rcptto" (did you mean "rcptTo"?)`), m);
});

test('a hook that is not a function, a missing default export and an array are refused', async () => {
  assert.match(
    await refusal(file('notfn.mjs', 'export default { rcptTo: 42 };')),
    /hook "rcptTo" must be a function, found number/,
  );
  assert.match(await refusal(file('nodefault.mjs', 'export const rcptTo = () => {};')), /no default export/);
  assert.match(await refusal(file('array.mjs', 'export default [];')), /must be an object of hooks, found an array/);
});

test('a syntax error, a throwing top level and a missing file are refused with the reason', async () => {
  assert.match(
    await refusal(file('syntax.mjs', 'export default { rcptTo( {} };')),
    /cannot load: .*(Unexpected|SyntaxError|token)/i,
  );
  assert.match(
    await refusal(file('throws.mjs', 'throw new Error("boom at load"); export default {};')),
    /cannot load: boom at load/,
  );
  assert.match(await refusal(join(dir, 'absent.mjs')), /file not found/);
});

test('a reload imports the file again: new code runs', async () => {
  const p = file('live.mjs', 'export default { connectionGoal() { return 1; } };');
  const one = await loadPolicySet([{ file: p }], env);
  writeFileSync(p, 'export default { connectionGoal() { return 2; } };');
  const two = await loadPolicySet([{ file: p }], env);
  const ctx = {
    binding: 'b',
    domain: 'd',
    active: 1,
    inFlight: 0,
    maxOutboundConnections: 10,
    aggressiveness: 'normal' as const,
    defaultGoal: 1,
  };
  assert.equal(one.connectionGoal(ctx), 1);
  assert.equal(two.connectionGoal(ctx), 2);
});

test('a bad clientStates registration fails the load, naming the module', async () => {
  const p = file(
    'states.mjs',
    'export default { clientStates(c) { c.register({ name: "x", stage: 0, send: () => ["NOOP"] }, { after: "no-such-state" }); } };',
  );
  assert.match(await refusal(p), /clientStates: no state "no-such-state"/);
});

test('clientStates builds a machine with the module state after the named one', async () => {
  const p = file(
    'states-ok.mjs',
    'export default { clientStates(c) { c.register({ name: "xclient", stage: 0, send: () => ["NOOP"] }, { after: "ehlo" }); } };',
  );
  const set = await loadPolicySet([{ file: p }], env);
  const names = set.machine!.getStateMachine().map((s) => s.name);
  assert.equal(names[names.indexOf('ehlo') + 1], 'xclient');
});
