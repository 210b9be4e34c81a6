#!/usr/bin/env node
// Prints one AUTH users-file line "USER:scrypt$N$r$p$salt$hash" for the password read from stdin
// (so it never appears in the process list or shell history). Usage:
//   printf '%s' 'secret' | node packages/listener/scripts/hash-password.mjs alice >> users
// Needs packages/listener built (pnpm --filter @petrel/listener build).
import { hashPassword } from '../dist/passwords.js';

const user = process.argv[2];
if (!user || /[\s:]/.test(user)) {
  process.stderr.write('usage: hash-password.mjs USER < password\n');
  process.exit(2);
}
const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const password = Buffer.concat(chunks)
  .toString('utf8')
  .replace(/\r?\n$/, '');
if (password === '') {
  process.stderr.write('empty password on stdin\n');
  process.exit(2);
}
process.stdout.write(`${user}:${await hashPassword(password)}\n`);
