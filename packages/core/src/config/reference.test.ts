import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderConfigReference } from './reference.js';
import { DELIVERY_OPTIONS } from './schema.js';

const DOC = fileURLToPath(new URL('../../../../docs/configuration.md', import.meta.url));

test('docs/configuration.md is exactly what the schema renders (run `pnpm gen-docs` after changing the schema)', () => {
  assert.equal(readFileSync(DOC, 'utf8'), renderConfigReference());
});

test('every delivery option is documented with an example', () => {
  const doc = renderConfigReference();
  for (const [k, spec] of Object.entries(DELIVERY_OPTIONS)) {
    assert.ok(doc.includes(`| \`${k}\` |`), k);
    assert.ok(spec.example, `${k} has an example`);
  }
});
