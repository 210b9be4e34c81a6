/**
 * Reading a published DKIM key record (RFC 6376 §3.6.1) and comparing it with a private key, for
 * `petrel dkim check`. The lookup itself is the caller's (through the configured resolver).
 */
import type { KeyObject } from 'node:crypto';
import { publicKeyData } from './keys.js';

/** The tags of a TXT record (`v=DKIM1; k=rsa; p=…`), names lower-cased, whitespace removed from values. */
export function parseRecord(txt: string): Map<string, string> {
  const tags = new Map<string, string>();
  for (const item of txt.split(';')) {
    const eq = item.indexOf('=');
    if (eq < 0) continue;
    tags.set(item.slice(0, eq).trim().toLowerCase(), item.slice(eq + 1).replace(/\s+/g, ''));
  }
  return tags;
}

/** The verdict on one selector's record. */
export type RecordCheck =
  | { readonly status: 'match'; readonly record: string }
  | { readonly status: 'mismatch'; readonly record: string; readonly why: string }
  | { readonly status: 'missing'; readonly why: string };

/**
 * Compares the TXT record(s) found at `<selector>._domainkey.<domain>` with a private key. More
 * than one DKIM record there is ambiguous to verifiers: reported as a mismatch.
 */
export function checkRecord(records: readonly string[], key: KeyObject): RecordCheck {
  const dkim = records.filter((r) => /(^|;)\s*p\s*=/i.test(r) || /^\s*v\s*=\s*DKIM1/i.test(r));
  if (dkim.length === 0)
    return {
      status: 'missing',
      why: records.length === 0 ? 'no TXT record' : 'no DKIM key record among the TXT records',
    };
  if (dkim.length > 1)
    return { status: 'mismatch', record: dkim.join(' | '), why: `${dkim.length} DKIM records: publish exactly one` };
  const record = dkim[0]!;
  const tags = parseRecord(record);
  const v = tags.get('v');
  if (v !== undefined && v !== 'DKIM1') return { status: 'mismatch', record, why: `v=${v}, expected DKIM1` };
  const want = key.asymmetricKeyType === 'ed25519' ? 'ed25519' : 'rsa';
  const k = tags.get('k') ?? 'rsa';
  if (k !== want) return { status: 'mismatch', record, why: `k=${k}, but the key is ${want}` };
  const p = tags.get('p') ?? '';
  if (p === '') return { status: 'mismatch', record, why: 'p= is empty: the key is revoked (RFC 6376 §3.6.1)' };
  if (p !== publicKeyData(key))
    return { status: 'mismatch', record, why: 'p= is not the public half of the configured private key' };
  return { status: 'match', record };
}
