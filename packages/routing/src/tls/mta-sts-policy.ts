/**
 * MTA-STS (RFC 8461) records and policies as data, parsed strictly: the `_mta-sts` TXT record
 * (§3.1) and the policy file (§3.2). The MX pattern match (§4.1) is the client's: mxMatches in
 * @petrel/smtp-client.
 */

/** A parsed `_mta-sts.<domain>` TXT record: the policy id (§3.1). */
export interface MtaStsRecord {
  readonly id: string;
}

/** A parsed policy file (§3.2). */
export interface MtaStsPolicy {
  readonly mode: 'enforce' | 'testing' | 'none';
  /** Seconds, 0..31557600. */
  readonly maxAge: number;
  /** `mx` patterns, lower case, trailing dot removed. */
  readonly mx: readonly string[];
  /** The policy's lines as fetched (for TLS-RPT `policy-string`). */
  readonly lines: readonly string[];
}

/** The result of a parse: the value, or why it was refused. */
export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/** §3.2: max_age is at most 31557600 seconds (about a year). */
export const MAX_AGE_LIMIT = 31_557_600;

/**
 * Picks the STS record from a name's TXT answers (each an array of strings, concatenated, RFC 7208
 * style). §3.1: only records starting with "v=STSv1;" count; more than one such record means no
 * policy (treated as invalid); an `id` is 1–32 alphanumerics.
 */
export function parseMtaStsTxt(answers: readonly (readonly string[])[]): Parsed<MtaStsRecord> | undefined {
  const records = answers.map((chunks) => chunks.join('')).filter((t) => /^v=STSv1\s*(;|$)/.test(t));
  if (records.length === 0) return undefined;
  if (records.length > 1) return { ok: false, reason: 'more than one v=STSv1 TXT record' };
  const fields = new Map<string, string>();
  for (const part of records[0]!.split(';')) {
    const f = part.trim();
    if (f === '') continue;
    const eq = f.indexOf('=');
    if (eq <= 0) return { ok: false, reason: `malformed field ${JSON.stringify(f)}` };
    const key = f.slice(0, eq).trim();
    if (!fields.has(key)) fields.set(key, f.slice(eq + 1).trim());
  }
  const id = fields.get('id');
  if (id === undefined || !/^[A-Za-z0-9]{1,32}$/.test(id))
    return { ok: false, reason: `expected id of 1-32 letters and digits, found ${JSON.stringify(id ?? '')}` };
  return { ok: true, value: { id } };
}

/**
 * Parses a policy file (§3.2): "key: value" lines ending in LF or CRLF; `version: STSv1`, `mode`,
 * `max_age` and (unless mode is none) at least one `mx` are required; unknown keys are ignored
 * (§3.2, extension fields). Anything else — a line without a colon, a bad value, a repeated
 * single-valued key — makes the policy invalid.
 */
export function parseMtaStsPolicy(text: string): Parsed<MtaStsPolicy> {
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  const single = new Map<string, string>();
  const mx: string[] = [];
  for (const line of lines) {
    const m = /^([A-Za-z0-9_.-]+):[ \t]*(.*?)[ \t]*$/.exec(line);
    if (!m) return { ok: false, reason: `malformed line ${JSON.stringify(line.slice(0, 80))}` };
    const key = m[1]!;
    const value = m[2]!;
    if (key === 'mx') {
      if (!/^(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.?$/.test(value))
        return { ok: false, reason: `malformed mx pattern ${JSON.stringify(value)}` };
      mx.push(value.toLowerCase().replace(/\.$/, ''));
      continue;
    }
    if (key === 'version' || key === 'mode' || key === 'max_age') {
      if (single.has(key)) return { ok: false, reason: `${key} given twice` };
      single.set(key, value);
    }
  }
  if (single.get('version') !== 'STSv1') return { ok: false, reason: 'expected "version: STSv1"' };
  const mode = single.get('mode');
  if (mode !== 'enforce' && mode !== 'testing' && mode !== 'none')
    return { ok: false, reason: `expected mode enforce, testing or none, found ${JSON.stringify(mode ?? '')}` };
  const age = single.get('max_age') ?? '';
  // §3.2: max_age is a plain non-negative integer of at most 10 digits.
  if (!/^[0-9]{1,10}$/.test(age) || Number(age) > MAX_AGE_LIMIT)
    return { ok: false, reason: `expected max_age 0..${MAX_AGE_LIMIT}, found ${JSON.stringify(age)}` };
  if (mode !== 'none' && mx.length === 0) return { ok: false, reason: 'expected at least one mx line' };
  return { ok: true, value: { mode, maxAge: Number(age), mx, lines } };
}
