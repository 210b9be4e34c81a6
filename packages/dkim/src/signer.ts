/**
 * The DKIM signer (RFC 6376 §5; Ed25519 per RFC 8463): one DKIM-Signature field per key, built
 * on node:crypto. The body hash is computed once per (body canonicalisation) and shared by every
 * key of the message; the RSA/Ed25519 operation itself can run on libuv's thread pool
 * (`signMessageAsync`) so that it does not hold the event loop.
 */
import { createHash, createPrivateKey, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { PetrelError } from '@petrel/core';
import {
  canonBody,
  canonHeader,
  splitMessage,
  type Canon,
  type Canonicalization,
  type RawField,
} from './canonicalize.js';

/** The signing algorithms (RFC 8301 §3.1 forbids rsa-sha1; RFC 8463 adds ed25519-sha256). */
export type DkimAlgorithm = 'rsa-sha256' | 'ed25519-sha256';

/** What signing needs of one key. */
export interface SigningKey {
  readonly domain: string;
  readonly selector: string;
  readonly algorithm: DkimAlgorithm;
  readonly privateKey: KeyObject;
  /** Header field names to sign, in this order, each as often as the message has it. */
  readonly headers: readonly string[];
  /** Names signed once more than present (over-signing, RFC 6376 §8.15): no field of that name can be added. */
  readonly oversignHeaders: readonly string[];
  readonly canonicalization: Canonicalization;
  /** Signature lifetime in ms (`x=`, RFC 6376 §3.5); none when undefined. */
  readonly expiration?: number;
}

/** Why a message cannot be signed (logged; the config decides: send unsigned or tempfail). */
function unsignable(why: string): PetrelError {
  return new PetrelError('PETREL_ERR_DKIM_SIGN', why);
}

/** A signature before its `b=` value: the field text with an empty b= and the data to sign. */
interface Prepared {
  readonly key: SigningKey;
  /** The DKIM-Signature field up to and including `b=` (no value, no CRLF). */
  readonly field: string;
  /** Canonicalised signed header fields followed by the canonicalised signature field (§3.7). */
  readonly data: Buffer;
}

function bodyHash(body: string, canon: Canon): string {
  return createHash('sha256').update(canonBody(body, canon), 'latin1').digest('base64');
}

/**
 * The fields `h=` covers, in h= order: for each name, instances from the bottom up (RFC 6376
 * §5.4.2); an over-signed name is listed once more, so it stands for a field that does not exist.
 */
function selectFields(fields: readonly RawField[], key: SigningKey): { names: string[]; picked: RawField[] } {
  const byName = new Map<string, RawField[]>();
  for (const f of fields) {
    const n = f.name.toLowerCase();
    const list = byName.get(n);
    if (list) list.push(f);
    else byName.set(n, [f]);
  }
  const names: string[] = [];
  const picked: RawField[] = [];
  const seen = new Set<string>();
  const over = new Set(key.oversignHeaders.map((h) => h.toLowerCase()));
  for (const h of [...key.headers, ...key.oversignHeaders]) {
    const n = h.toLowerCase();
    if (seen.has(n)) continue;
    seen.add(n);
    const list = byName.get(n) ?? [];
    for (let i = list.length - 1; i >= 0; i--) {
      names.push(n);
      picked.push(list[i]!);
    }
    if (over.has(n)) names.push(n);
  }
  return { names, picked };
}

/** Folds `tag=value;` items so that no line passes 78 columns where it can (RFC 5322 §2.1.1). */
function fold(prefix: string, tags: readonly string[]): string {
  let out = prefix;
  let col = prefix.length;
  for (const t of tags) {
    const piece = `${t};`;
    if (col + 1 + piece.length > 78 && col > 1) {
      out += `\r\n\t${piece}`;
      col = 1 + piece.length;
    } else {
      out += ` ${piece}`;
      col += 1 + piece.length;
    }
  }
  return out;
}

/** h= may be long: break it at colons, as signers usually do. */
function foldList(names: readonly string[]): string[] {
  const lines: string[] = [];
  let cur = 'h=';
  for (const [i, n] of names.entries()) {
    const piece = i === 0 ? n : `:${n}`;
    if (cur.length + piece.length > 70 && cur !== 'h=') {
      lines.push(cur);
      cur = piece;
    } else cur += piece;
  }
  lines.push(cur);
  return lines;
}

function prepare(split: ReturnType<typeof splitMessage>, key: SigningKey, bh: string, now: number): Prepared {
  const { names, picked } = selectFields(split.fields, key);
  if (!names.includes('from')) throw unsignable('the signed header list must contain From (RFC 6376 §5.4)');
  const t = Math.floor(now / 1000);
  const c = key.canonicalization;
  const tags = [
    'v=1',
    `a=${key.algorithm}`,
    `c=${c.header}/${c.body}`,
    `d=${key.domain}`,
    `s=${key.selector}`,
    `t=${t}`,
    ...(key.expiration !== undefined ? [`x=${t + Math.max(1, Math.ceil(key.expiration / 1000))}`] : []),
  ];
  const hLines = foldList(names);
  // h= continues over lines joined by CRLF TAB; the value's folding is ignored by verifiers.
  const h = hLines.join('\r\n\t');
  const field = `${fold('DKIM-Signature:', tags)}\r\n\t${h};\r\n\tbh=${bh};\r\n\tb=`;
  const parts = picked.map((f) => canonHeader(f.raw, c.header));
  // RFC 6376 §3.7: the signature field itself, b= empty, canonicalised, without its final CRLF.
  const self = canonHeader(field, c.header);
  parts.push(self.slice(0, -2));
  return { key, field, data: Buffer.from(parts.join(''), 'latin1') };
}

function prepareAll(message: Buffer, keys: readonly SigningKey[], now: number): Prepared[] {
  const split = splitMessage(message);
  if (!split.fields.some((f) => f.name.toLowerCase() === 'from'))
    throw unsignable('the message has no From: header field (RFC 6376 §5.4: From must be signed)');
  const body = message.toString('latin1', split.bodyStart);
  const hashes = new Map<Canon, string>();
  return keys.map((key) => {
    const canon = key.canonicalization.body;
    let bh = hashes.get(canon);
    if (bh === undefined) {
      bh = bodyHash(body, canon);
      hashes.set(canon, bh);
    }
    return prepare(split, key, bh, now);
  });
}

/** RSA signs the SHA-256 digest with PKCS#1 v1.5; Ed25519 signs the SHA-256 digest itself (RFC 8463 §3). */
function signInput(p: Prepared): { algorithm: string | null; data: Buffer } {
  if (p.key.algorithm === 'ed25519-sha256')
    return { algorithm: null, data: createHash('sha256').update(p.data).digest() };
  return { algorithm: 'sha256', data: p.data };
}

function finish(p: Prepared, signature: Buffer): string {
  return `${p.field}${signature.toString('base64')}\r\n`;
}

/**
 * The DKIM-Signature fields for `message` (CRLF line ends), one per key, in key order; prepend
 * them to the message. Throws PETREL_ERR_DKIM_SIGN when the message cannot be signed.
 */
export function signMessage(message: Buffer, keys: readonly SigningKey[], now: number = Date.now()): string {
  return prepareAll(message, keys, now)
    .map((p) => {
      const s = signInput(p);
      return finish(p, cryptoSign(s.algorithm, s.data, p.key.privateKey));
    })
    .join('');
}

/** Copies of each key for the thread pool (libuv's default size). */
const POOL = 4;
const copies = new WeakMap<KeyObject, { readonly keys: readonly KeyObject[]; next: number }>();

/**
 * One of a few copies of `key`, in turn: Node serialises thread-pool jobs that use the same
 * KeyObject, so with one object concurrent messages wait for each other's RSA operation and the
 * event loop waits to queue the next (bench/relay-dkim.mjs measures both ways).
 */
function pooled(key: KeyObject): KeyObject {
  let c = copies.get(key);
  if (!c) {
    const der = key.export({ format: 'der', type: 'pkcs8' });
    const more = Array.from({ length: POOL - 1 }, () => createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
    c = { keys: [key, ...more], next: 0 };
    copies.set(key, c);
  }
  return c.keys[c.next++ % c.keys.length]!;
}

/** As signMessage, with each key's signature computed on libuv's thread pool. */
export async function signMessageAsync(
  message: Buffer,
  keys: readonly SigningKey[],
  now: number = Date.now(),
): Promise<string> {
  const prepared = prepareAll(message, keys, now);
  const sigs = await Promise.all(
    prepared.map(
      (p) =>
        new Promise<string>((resolve, reject) => {
          const s = signInput(p);
          cryptoSign(s.algorithm, s.data, pooled(p.key.privateKey), (err, sig) =>
            err ? reject(err) : resolve(finish(p, sig)),
          );
        }),
    ),
  );
  return sigs.join('');
}
