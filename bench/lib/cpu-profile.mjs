// Summarises a V8 .cpuprofile (node --cpu-prof): self time per function, the largest first, and the
// total sampled CPU time without idle. For the per-message profile summary in docs/performance.md.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The main thread's profile in `dir` (the largest file: worker threads write their own). */
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

function summarise(p, top) {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let busy = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const cf = byId.get(p.samples[i]).callFrame;
    const us = p.timeDeltas[i] ?? 0;
    if (cf.functionName === '(idle)') continue;
    const file = cf.url.replace(/^.*\/(packages|node_modules)\//, '$1/').replace(/^node:/, 'node:');
    const key = `${cf.functionName || '(anonymous)'} ${file}${cf.url ? `:${cf.lineNumber + 1}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + us);
    busy += us;
  }
  return {
    busyMs: Math.round(busy / 1000),
    top: [...self]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([fn, us]) => ({ fn, pct: Math.round((us / busy) * 1000) / 10 })),
  };
}
