/**
 * Independent DKIM verifiers for end-to-end tests: Debian's python3-dkim (test/peers/dkim-verify.py,
 * key records from a file) and mailauth (npm), both given the key records as a map, never DNS.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { run } from '@petrel/testkit';
import { CLI } from './petrel.js';

const DKIMPY = fileURLToPath(new URL('../../peers/dkim-verify.py', import.meta.url));

/** Key records by `selector._domainkey.domain`. */
export type KeyRecords = Readonly<Record<string, string>>;

/** python3-dkim's verdict for each signature, top to bottom. */
export async function dkimpyVerify(dir: string, message: Buffer, records: KeyRecords): Promise<boolean[]> {
  const n = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const recFile = join(dir, `records-${n}.json`);
  const msgFile = join(dir, `message-${n}.eml`);
  writeFileSync(recFile, JSON.stringify(records));
  writeFileSync(msgFile, message);
  const r = await run('/usr/bin/python3', [DKIMPY, recFile, msgFile], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as boolean[];
}

/** mailauth's result ("pass", "fail", "neutral", …) for each signature. */
export async function mailauthVerify(message: Buffer, records: KeyRecords): Promise<string[]> {
  const res = await dkimVerify(message, {
    resolver: async (name: string, type: string) => {
      const r = records[name.toLowerCase()];
      if (type !== 'TXT' || r === undefined)
        throw Object.assign(new Error(`no ${type} ${name}`), { code: 'ENOTFOUND' });
      return [[r]];
    },
  });
  return res.results.map((r: { status: { result: string } }) => r.status.result);
}

/** `petrel dkim keygen --json`: writes the key at `file`, returns its record. */
export async function keygen(
  file: string,
  domain: string,
  selector: string,
  algorithm: 'rsa' | 'ed25519',
): Promise<{ name: string; record: string; keyFile: string }> {
  const r = await run(
    process.execPath,
    [
      CLI,
      'dkim',
      'keygen',
      '--domain',
      domain,
      '--selector',
      selector,
      '--algorithm',
      algorithm,
      '--out',
      file,
      '--json',
    ],
    { timeoutMs: 30_000 },
  );
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as { name: string; record: string; keyFile: string };
}

/** A dump from aio-server.py without its X-Env-From / X-Env-To lines: the message as delivered. */
export function deliveredMessage(dump: Buffer): Buffer {
  let at = 0;
  for (let i = 0; i < 2; i++) at = dump.indexOf('\r\n', at) + 2;
  return dump.subarray(at);
}
