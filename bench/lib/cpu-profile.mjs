// Summarises a V8 .cpuprofile (node --cpu-prof): self time per function, the largest first, the
// total sampled CPU time without idle, and self time per package (node internals charged to the
// package frame that called them). For the per-message profile summaries in docs/performance.md.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The main thread's profile in `dir` (the busiest file: worker threads write their own). */
export function summariseProfile(dir, top = 15) {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f));
  let best;
  for (const file of files) {
    const p = JSON.parse(readFileSync(file, 'utf8'));
    const s = summarise(p, top);
    if (!best || s.busyMs > best.busyMs) best = s;
  }
  return best;
}

const PACKAGE = /(packages\/[^/]+|node_modules\/\.pnpm\/[^/@]+)/;

function summarise(p, top) {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map();
  const byPackage = new Map();
  let busy = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const cf = byId.get(p.samples[i]).callFrame;
    const us = p.timeDeltas[i] ?? 0;
    if (cf.functionName === '(idle)') continue;
    const file = cf.url.replace(/^.*\/(packages|node_modules)\//, '$1/').replace(/^node:/, 'node:');
    const key = `${cf.functionName || '(anonymous)'} ${file}${cf.url ? `:${cf.lineNumber + 1}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + us);
    let pkg;
    for (let at = p.samples[i]; at !== undefined && pkg === undefined; at = parent.get(at))
      pkg = PACKAGE.exec(byId.get(at).callFrame.url)?.[1];
    pkg = (pkg ?? (cf.functionName.startsWith('(') ? cf.functionName : '(node internals)')).replace(
      'node_modules/.pnpm/',
      '',
    );
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
    busy += us;
  }
  const largest = (m, n) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => [name, Math.round((us / busy) * 1000) / 10]);
  return {
    busyMs: Math.round(busy / 1000),
    top: largest(self, top).map(([fn, pct]) => ({ fn, pct })),
    packages: largest(byPackage, 12).map(([name, pct]) => ({ name, pct })),
  };
}
