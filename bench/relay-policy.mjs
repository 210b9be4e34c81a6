#!/usr/bin/env node
// Issue 15's benchmark: the relay with a policy module that defines every hook as a no-op, against
// the same relay without modules, in one run (runs alternate, so machine noise hits both alike).
// Target: with modules ≥ 0.95× without. Prints one JSON line per (variant, run) and writes them to
// bench/results/relay-policy.jsonl; bench/gen-policy-doc.mjs turns them into
// docs/performance/policy.md (then bench/gen-performance.mjs into docs/performance.md).
//
// usage: node bench/relay-policy.mjs [--messages 5000] [--sessions 10] [--runs 3]
import { join } from 'node:path';
import { ROOT } from './lib/doc.mjs';
import { parseArgs } from './lib/relay-common.mjs';
import { record, relayOnce, resultsFile, rotate, runEnv } from './lib/relay-run.mjs';

const args = parseArgs(process.argv.slice(2));
const M = Number(args.messages ?? 5000);
const S = Number(args.sessions ?? 10);
const RUNS = Number(args.runs ?? 3);
const OUT = resultsFile(args.out ?? join(ROOT, 'bench/results/relay-policy.jsonl'), args.append === 'true');
const WITHOUT = 'no modules';
const WITH = 'no-op module, every hook';

/** Every hook, each doing nothing: the cost of the hook machinery itself. */
const NOOP_MODULE = `export default {
  connect() {}, ehlo() {}, mailFrom() {}, rcptTo() {}, data() {},
  setBinding() {}, connectionGoal() {}, beforeDelivery() {}, clientStates() {}, classify() {},
  onReception() {}, onDelivery() {}, onTransientFailure() {}, onPermanentFailure() {}, onBounce() {}, onRejection() {},
};
`;

const env = runEnv({ messages: M, sessions: S });
await rotate(RUNS, [WITHOUT, WITH], 'bench-policy-', async (variant, run, dir) => {
  const r = await relayOnce({
    dir,
    sessions: S,
    messages: M,
    files: { 'noop.mjs': NOOP_MODULE },
    extra: variant === WITH ? '\n[[policy]]\nmodule = "noop.mjs"\n' : '',
  });
  record(OUT, { bench: 'relay-policy', variant, run, ...r, env });
  console.log(
    JSON.stringify({
      variant,
      run,
      accept: Math.round(r.accept_rate),
      e2e: Math.round(r.e2e_rate),
      cpu: r.cpu_s,
      complete: r.complete,
    }),
  );
});
