import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DUMMY_HASH, hashPassword, parseHash, verifyPassword } from './passwords.js';

const CHEAP = { N: 1024, r: 8, p: 1 };

test('an scrypt hash written by hashPassword parses and verifies only its own password', async () => {
  const h = parseHash(await hashPassword('s3cret', CHEAP));
  assert.ok(h);
  assert.equal(await verifyPassword('s3cret', h), true);
  assert.equal(await verifyPassword('s3cret!', h), false);
});

test('the dummy hash matches no password, and a cost beyond the bounds is refused', async () => {
  assert.equal(await verifyPassword('', DUMMY_HASH), false);
  assert.equal(
    parseHash('scrypt$2097152$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='),
    undefined,
  );
});
