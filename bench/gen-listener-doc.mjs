#!/usr/bin/env node
// Writes docs/performance/listener.md from bench/results/listener-accept.jsonl (never hand-typed
// numbers): accept rate, Petrel vs Postfix smtpd, min / median / max over the runs.
import { join } from 'node:path';
import { ROOT, fmt, heading, readJsonl, stats, writeSection } from './lib/doc.mjs';

const recs = readJsonl(join(ROOT, 'bench/results/listener-accept.jsonl'));
let body;
if (recs.length === 0) {
  body = 'No results yet: run `node bench/listener-accept.mjs`, then `node bench/gen-listener-doc.mjs`.\n';
} else {
  const env = recs[0].env;
  const variants = [...new Set(recs.map((r) => r.variant))];
  const rows = variants.map((v) => {
    const p = stats(recs.filter((r) => r.variant === v && r.peer === 'petrel').map((r) => r.accept_rate));
    const x = stats(recs.filter((r) => r.variant === v && r.peer === 'postfix').map((r) => r.accept_rate));
    const ratio = p && x ? (p.median / x.median).toFixed(2) : 'n/a';
    return `| ${v} | ${fmt(p)} | ${fmt(x)} | ${ratio}× |`;
  });
  body = `smtp-source → listener, delivery suspended, on one machine, both peers in the same run (the order
alternates per run). Petrel (\`suspend_delivery = true\`) answers 250 only after the message is fsync'd
in its spool; Postfix smtpd puts each message durably on its hold queue
(\`smtpd_data_restrictions = check_client_access static:HOLD\`). Target: Petrel ≥ 2× Postfix.

- Command: \`${env.command}\`
- Load: ${env.messages} messages × ${env.size} octets, ${env.sessions} sessions, one recipient each
- Node ${env.node}; CPU: ${env.cpu} (${env.cores} cores); ${Math.max(...recs.map((r) => r.run))} runs

| variant | Petrel msg/s (min / **median** / max) | Postfix msg/s (min / **median** / max) | Petrel ÷ Postfix (medians) |
|---|---|---|---|
${rows.join('\n')}
`;
}
const out = writeSection(
  'listener',
  `${heading('Inbound listener: accept rate (issue 6)', 'bench/gen-listener-doc.mjs')}${body}`,
);
console.log(`wrote ${out}`);
