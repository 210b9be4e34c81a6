#!/usr/bin/env node
// Production packages ship production code only: after `pnpm build`, no test, fixture, harness or
// test-kit file may be in any packages/*/dist, no built file may load the test kit or reach into
// test/, and no package may depend on @petrel/testkit except as a devDependency.
// Exits 1 with the offending paths. Run by `pnpm test` and `pnpm test:unit`.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PACKAGES = join(ROOT, 'packages');
// A path segment (extension stripped) that names test code.
const TEST_SEGMENT = /^(?:.*\.test|testkit|test-support|harness|fixtures?|.*-fixture|test-dist)$/;
// A built file that loads the test kit or a file under test/ (e.g. '../../../test/peers/…').
const TEST_REFERENCE = /@petrel\/testkit|\btest\/(?:peers|kit|lib|fixtures)\//;

function* files(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else yield p;
  }
}

const problems = [];
for (const pkg of readdirSync(PACKAGES, { withFileTypes: true })) {
  if (!pkg.isDirectory()) continue;
  const dir = join(PACKAGES, pkg.name);
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    if (manifest[field]?.['@petrel/testkit'])
      problems.push(`${relative(ROOT, dir)}/package.json: @petrel/testkit in ${field} (devDependencies only)`);
  }
  const dist = join(dir, 'dist');
  if (!existsSync(dist)) {
    problems.push(`${relative(ROOT, dist)}: missing (run pnpm build first)`);
    continue;
  }
  for (const f of files(dist)) {
    const rel = relative(dist, f);
    const segments = rel.split('/').map((s) => s.replace(/(\.d)?\.(js|ts|mjs|cjs)(\.map)?$/, ''));
    if (segments.some((s) => TEST_SEGMENT.test(s)))
      problems.push(`${relative(ROOT, f)}: test code in a production build`);
    else if (f.endsWith('.js') && TEST_REFERENCE.test(readFileSync(f, 'utf8')))
      problems.push(`${relative(ROOT, f)}: production code refers to the test kit or test/`);
  }
}

if (problems.length > 0) {
  console.error(`check-dist: ${problems.length} problem(s):\n${problems.join('\n')}`);
  process.exit(1);
}
console.log('check-dist: packages/*/dist hold production code only');
