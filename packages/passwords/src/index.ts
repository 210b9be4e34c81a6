/**
 * @petrel/passwords: the password hashes of Petrel's credential files (scrypt, bcrypt), shared by
 * the listener's AUTH users file and the HTTP injection API's tokens file.
 *
 * @packageDocumentation
 */
export {
  hashPassword,
  verifyPassword,
  parseHash,
  DUMMY_HASH,
  MAX_BCRYPT_COST,
  type PasswordHash,
  type ScryptHash,
  type BcryptHash,
} from './passwords.js';
