import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ErrorCodes, PetrelError, isPetrelError } from './errors.js';

const DOC = fileURLToPath(new URL('../../../docs/errors.md', import.meta.url));

test('every error code in the registry is documented in docs/errors.md, and nothing else is', () => {
  const doc = readFileSync(DOC, 'utf8');
  const documented = new Set([...doc.matchAll(/^\| `(PETREL_ERR_[A-Z_]+)` \|/gm)].map((m) => m[1]));
  assert.deepEqual([...documented].sort(), Object.keys(ErrorCodes).sort());
});

test('PetrelError carries its code and frozen structured details', () => {
  const e = new PetrelError('PETREL_ERR_CONFIG_KEY', 'x: bad', { key: 'x' });
  assert.equal(isPetrelError(e as unknown, 'PETREL_ERR_CONFIG_KEY'), true);
  assert.equal(isPetrelError(e as unknown, 'PETREL_ERR_DNS'), false);
  assert.equal(e.details.key, 'x');
  assert.ok(Object.isFrozen(e.details));
});
