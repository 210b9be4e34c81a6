#!/usr/bin/env node
// Writes docs/performance/policy.md from bench/results/relay-policy.jsonl (never hand-typed numbers).
import { join } from 'node:path';
import { ROOT, abRatio, abRow, environment, heading, readJsonl, writeSection } from './lib/doc.mjs';

const recs = readJsonl(join(ROOT, 'bench/results/relay-policy.jsonl'));
let body;
if (recs.length === 0) {
  body = 'No results yet: run `node bench/relay-policy.mjs`, then `node bench/gen-policy-doc.mjs`.\n';
} else {
  const env = recs[0].env;
  const ratio = abRatio(recs, 'no modules', 'no-op module, every hook');
  body = `The relay (smtp-source → Petrel → smtp-sink, 1 KB, one recipient, new connection per message) with a
policy module that defines all 16 hooks as no-ops, against the same relay without modules, runs
alternating in one invocation.

- Command: \`node bench/relay-policy.mjs --messages ${env.messages} --sessions ${env.sessions} --runs ${Math.max(...recs.map((r) => r.run))}\`
- Environment: ${environment(env)}
- Figures: min / **median** / max over the runs.

| variant | accept msg/s | end-to-end msg/s | CPU s | all delivered |
|---|---|---|---|---|
${abRow(recs, 'no modules')}
${abRow(recs, 'no-op module, every hook')}

With modules / without, end-to-end median: **${ratio}×** (target ≥ 0.95×).
`;
}
const out = writeSection(
  'policy',
  `${heading('Policy modules: hook overhead (`bench/relay-policy.mjs`, issue 15)', 'bench/gen-policy-doc.mjs')}${body}`,
);
console.log(`wrote ${out}`);
