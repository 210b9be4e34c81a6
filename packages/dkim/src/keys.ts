/**
 * Private keys for signing: read from PEM files (PKCS#8 or PKCS#1), checked (RSA at least 1024
 * bits, RFC 8301 §3.2; or Ed25519, RFC 8463), generated for `petrel dkim keygen`, and their
 * public half as the DNS TXT record (RFC 6376 §3.6.1).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { PetrelError } from '@petrel/core';
import type { DkimAlgorithm } from './signer.js';

/** Why a key cannot be used (PETREL_ERR_DKIM_KEY): the message names the file. */
function keyError(message: string): PetrelError {
  return new PetrelError('PETREL_ERR_DKIM_KEY', message);
}

/** RFC 8301 §3.2: verifiers must not accept RSA keys below 1024 bits, signers should use 2048. */
export const MIN_RSA_BITS = 1024;
export const DEFAULT_RSA_BITS = 2048;

/** A key read from a file, with what the config and the DNS record need of it. */
export interface LoadedKey {
  readonly privateKey: KeyObject;
  readonly algorithm: DkimAlgorithm;
  /** RSA modulus length; undefined for Ed25519. */
  readonly bits?: number;
}

/** Reads and checks a PEM private key; throws PETREL_ERR_DKIM_KEY naming the file and what is wrong. */
export function loadKeyFile(file: string): LoadedKey {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (e) {
    throw keyError(`${file}: cannot read the DKIM key: ${(e as Error).message}`);
  }
  return parseKey(pem, file);
}

/** Checks a PEM private key (`file` names it in errors). */
export function parseKey(pem: string, file: string): LoadedKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' });
  } catch (e) {
    throw keyError(
      `${file}: expected a PEM private key (RSA or Ed25519, PKCS#8 or PKCS#1), found none: ${(e as Error).message}`,
    );
  }
  const type = privateKey.asymmetricKeyType;
  if (type === 'ed25519') return { privateKey, algorithm: 'ed25519-sha256' };
  if (type === 'rsa') {
    const bits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS)
      throw keyError(`${file}: expected an RSA key of at least ${MIN_RSA_BITS} bits (RFC 8301), found ${bits}`);
    return { privateKey, algorithm: 'rsa-sha256', bits };
  }
  throw keyError(`${file}: expected an RSA or Ed25519 private key, found a ${type ?? 'unknown'} key`);
}

/** A warning when a key file is readable by its group or by others (mode & 077), else undefined. */
export function keyFileModeWarning(file: string): string | undefined {
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch {
    return undefined;
  }
  if ((mode & 0o077) === 0) return undefined;
  return (
    `${file}: the DKIM private key is readable by ${(mode & 0o070) !== 0 ? 'its group' : ''}` +
    `${(mode & 0o070) !== 0 && (mode & 0o007) !== 0 ? ' and ' : ''}${(mode & 0o007) !== 0 ? 'others' : ''} ` +
    `(mode ${(mode & 0o777).toString(8)}); chmod 600 it`
  );
}

/**
 * The `p=` value: the public key in base64 (RSA: DER SubjectPublicKeyInfo; Ed25519: the raw 32
 * octets, RFC 8463 §4.2).
 */
export function publicKeyData(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const der = pub.export({ format: 'der', type: 'spki' });
  // An Ed25519 SubjectPublicKeyInfo is a fixed 12-octet prefix and the 32-octet key.
  return (pub.asymmetricKeyType === 'ed25519' ? der.subarray(der.length - 32) : der).toString('base64');
}

/** The TXT record to publish at `<selector>._domainkey.<domain>` (RFC 6376 §3.6.1). */
export function dnsRecord(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const k = pub.asymmetricKeyType === 'ed25519' ? 'ed25519' : 'rsa';
  return `v=DKIM1; k=${k}; p=${publicKeyData(pub)}`;
}

/** A new private key as PKCS#8 PEM. */
export function generateKey(algorithm: 'rsa' | 'ed25519', bits: number = DEFAULT_RSA_BITS): string {
  if (algorithm === 'ed25519')
    return generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  if (!Number.isInteger(bits) || bits < MIN_RSA_BITS || bits > 8192)
    throw keyError(`expected RSA bits from ${MIN_RSA_BITS} to 8192, found ${bits}`);
  return generateKeyPairSync('rsa', { modulusLength: bits })
    .privateKey.export({ format: 'pem', type: 'pkcs8' })
    .toString();
}
