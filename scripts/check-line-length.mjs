#!/usr/bin/env node
// No production line over 120 characters (the Biome formatter's line width). Biome's formatter wraps
// code but leaves long string literals and comments alone, so those are checked here.
// Production = packages/*/src/**/*.ts except *.test.ts. Exits 1 with file:line: length.
// Run by `pnpm lint` (and so by `pnpm test`).
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAX = 120;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PACKAGES = join(ROOT, 'packages');

function* tsFiles(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* tsFiles(p);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) yield p;
  }
}

const problems = [];
for (const pkg of readdirSync(PACKAGES, { withFileTypes: true })) {
  if (!pkg.isDirectory()) continue;
  const src = join(PACKAGES, pkg.name, 'src');
  let entries;
  try {
    entries = [...tsFiles(src)];
  } catch {
    continue; // a package without src/
  }
  for (const file of entries) {
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      // Characters, not UTF-16 units: '—' and '§' count as one, as the formatter counts them.
      const length = [...line].length;
      if (length > MAX) problems.push(`${relative(ROOT, file)}:${i + 1}: ${length} characters`);
    });
  }
}

if (problems.length > 0) {
  console.error(`Production lines over ${MAX} characters (split the string or rewrap the comment):`);
  for (const p of problems) console.error(`  ${p}`);
  process.exit(1);
}
