import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { hashPassword, parseHash, UserDb, verifyPassword } from './passwords.js';

/** A bcrypt hash from crypt(3) (libxcrypt, through python3): an implementation independent of ours. */
function cryptBcrypt(password: string, cost: number): string {
  const py = `import crypt, sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=${2 ** cost})))`;
  return execFileSync('/usr/bin/python3', ['-W', 'ignore', '-c', py, password], { encoding: 'utf8' }).trim();
}

test('scrypt lines: hashPassword round-trips, a wrong password fails', async () => {
  const line = await hashPassword('correct horse', { N: 1024, r: 8, p: 1 });
  const h = parseHash(line);
  assert.ok(h && h.kind === 'scrypt');
  assert.equal(await verifyPassword('correct horse', h), true);
  assert.equal(await verifyPassword('correct horsf', h), false);
});

test('bcrypt lines from crypt(3) verify, so existing user databases work as they are', async () => {
  const text = cryptBcrypt('s3cret pass', 5);
  assert.match(text, /^\$2[aby]\$05\$/);
  const db = UserDb.parse(`# users\nbob:${text}\n`, 'users');
  assert.equal(db.size, 1);
  assert.equal(await db.check('bob', 's3cret pass'), true);
  assert.equal(await db.check('bob', 's3cret pasS'), false);
  assert.equal(await db.check('nobody', 's3cret pass'), false);
});

test('bad lines name the file and line; a bcrypt cost beyond 14 is refused (it would stall AUTH)', () => {
  assert.throws(
    () => UserDb.parse('alice:plaintext\n', '/etc/petrel/users'),
    /\/etc\/petrel\/users:1: expected "user:scrypt\$N\$r\$p\$salt\$hash" or "user:\$2b\$cost\$…"/,
  );
  const slow = `$2b$15$${'a'.repeat(53)}`;
  assert.equal(parseHash(slow), undefined);
  assert.equal(parseHash(`$2b$10$${'a'.repeat(52)}`), undefined, 'truncated');
  assert.ok(parseHash(`$2y$10$${'a'.repeat(53)}`), 'the $2y$ of htpasswd');
});
