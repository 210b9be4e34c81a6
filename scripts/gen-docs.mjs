// Regenerates the docs that are derived from code: docs/configuration.md from the config schema.
import { writeFileSync } from 'node:fs';
import { renderConfigReference } from '../packages/core/dist/index.js';
const out = new URL('../docs/configuration.md', import.meta.url);
writeFileSync(out, renderConfigReference());
console.log(`wrote ${out.pathname}`);
