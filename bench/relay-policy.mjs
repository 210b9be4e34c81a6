#!/usr/bin/env node
// Issue 15's benchmark: the relay with a policy module that defines every hook as a no-op, against
// the same relay without modules, in one run (runs alternate, so machine noise hits both alike).
// Target: with modules ≥ 0.95× without. Prints one JSON line per (variant, run) and writes them to
// bench/results/relay-policy.jsonl; bench/gen-policy-doc.mjs turns them into
// docs/performance/policy.md (then bench/gen-performance.mjs into docs/performance.md).
//
// usage: node bench/relay-policy.mjs [--messages 5000] [--sessions 10] [--runs 3]
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from './lib/relay-common.mjs';
import { relayOnce } from './lib/relay-run.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const args = parseArgs(process.argv.slice(2));
const M = Number(args.messages ?? 5000);
const S = Number(args.sessions ?? 10);
const RUNS = Number(args.runs ?? 3);
const OUT = args.out ?? join(ROOT, 'bench/results/relay-policy.jsonl');

/** Every hook, each doing nothing: the cost of the hook machinery itself. */
const NOOP_MODULE = `export default {
  connect() {}, ehlo() {}, mailFrom() {}, rcptTo() {}, data() {},
  setBinding() {}, connectionGoal() {}, beforeDelivery() {}, clientStates() {}, classify() {},
  onReception() {}, onDelivery() {}, onTransientFailure() {}, onPermanentFailure() {}, onBounce() {}, onRejection() {},
};
`;

function once(withPolicy, dir) {
  return relayOnce({
    dir,
    sessions: S,
    messages: M,
    files: { 'noop.mjs': NOOP_MODULE },
    extra: withPolicy ? '\n[[policy]]\nmodule = "noop.mjs"\n' : '',
  });
}

const env = {
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  messages: M,
  sessions: S,
  date: new Date().toISOString(),
};
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
if (args.append !== 'true' && existsSync(OUT)) rmSync(OUT);
for (let i = 0; i < RUNS; i++) {
  // Alternate which goes first, so a drift in machine load does not favour one variant.
  const order = i % 2 === 0 ? [false, true] : [true, false];
  for (const withPolicy of order) {
    const variant = withPolicy ? 'no-op module, every hook' : 'no modules';
    const dir = mkdtempSync(join(tmpdir(), 'bench-policy-'));
    try {
      const r = await once(withPolicy, dir);
      appendFileSync(OUT, `${JSON.stringify({ bench: 'relay-policy', variant, run: i + 1, ...r, env })}\n`);
      console.log(
        JSON.stringify({
          variant,
          run: i + 1,
          accept: Math.round(r.accept_rate),
          e2e: Math.round(r.e2e_rate),
          cpu: r.cpu_s,
          complete: r.complete,
        }),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
