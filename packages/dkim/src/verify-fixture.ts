/**
 * Test helpers only (not built into dist/): a minimal DKIM verifier over this package's
 * canonicalisation (to check the RFC 8463 signatures against our header and body rules), and
 * mailauth's verifier (an independent implementation) with DNS answered from a map.
 */
import { createHash, createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { canonBody, canonHeader, parseCanonicalization, splitMessage } from './canonicalize.js';
import { parseRecord } from './record.js';

/** Verifies the DKIM-Signature field at position `which` (0 = topmost) with the given public key record. */
export function verifyWithRecord(message: Buffer, record: string, which = 0): { bodyOk: boolean; sigOk: boolean } {
  const split = splitMessage(message);
  const sigs = split.fields.filter((f) => f.name.toLowerCase() === 'dkim-signature');
  const sigField = sigs[which]!;
  const tags = parseRecord(sigField.raw.slice(sigField.raw.indexOf(':') + 1));
  const c = parseCanonicalization(tags.get('c') ?? 'simple/simple')!;
  const body = message.toString('latin1', split.bodyStart);
  const bh = createHash('sha256').update(canonBody(body, c.body), 'latin1').digest('base64');
  const used = new Map<string, number>();
  const parts: string[] = [];
  for (const name of (tags.get('h') ?? '').split(':').map((n) => n.trim().toLowerCase())) {
    const all = split.fields.filter((f) => f.name.toLowerCase() === name);
    const n = used.get(name) ?? 0;
    used.set(name, n + 1);
    const f = all[all.length - 1 - n];
    if (f) parts.push(canonHeader(f.raw, c.header));
  }
  // RFC 6376 §3.7: the signature field with the b= value removed, without its final CRLF.
  const stripped = sigField.raw.replace(/(\bb=)[^;]*/, '$1');
  parts.push(canonHeader(stripped, c.header).slice(0, -2));
  const data = Buffer.from(parts.join(''), 'latin1');
  const rec = parseRecord(record);
  const p = Buffer.from(rec.get('p') ?? '', 'base64');
  const sig = Buffer.from(tags.get('b') ?? '', 'base64');
  let sigOk: boolean;
  if (rec.get('k') === 'ed25519') {
    const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), p]);
    const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    sigOk = cryptoVerify(null, createHash('sha256').update(data).digest(), key, sig);
  } else {
    const key = createPublicKey({ key: p, format: 'der', type: 'spki' });
    sigOk = cryptoVerify('sha256', data, key, sig);
  }
  return { bodyOk: bh === tags.get('bh'), sigOk };
}

/** mailauth's verdicts ("pass", "fail", "neutral", …) for every signature, DNS answered from `records`. */
export async function mailauthVerify(message: Buffer, records: ReadonlyMap<string, string>): Promise<string[]> {
  const res = await dkimVerify(message, {
    resolver: async (name: string, type: string) => {
      const r = records.get(name.toLowerCase());
      if (type !== 'TXT' || r === undefined)
        throw Object.assign(new Error(`no ${type} ${name}`), { code: 'ENOTFOUND' });
      return [[r]];
    },
  });
  return res.results.map((r: { status: { result: string } }) => r.status.result);
}
