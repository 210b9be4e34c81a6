/**
 * The suppression list's CSV form (`petrel suppression import|export`, docs/feedback-loop.md):
 * a header line `address,scope,reason,bounce_class,source,created_at`, then one entry a line;
 * created_at in ISO 8601. Import also takes lines with only an address (manual, global), with or
 * without the header. Fields with a comma or quote are quoted (RFC 4180).
 */
import { PetrelError, type SuppressionEntry } from '@petrel/core';

export const CSV_HEADER = 'address,scope,reason,bounce_class,source,created_at';

function quote(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function toCsv(entries: readonly SuppressionEntry[]): string {
  const lines = entries.map((e) =>
    [e.address, e.scope, e.reason, e.bounceClass ?? '', e.source, new Date(e.createdAt).toISOString()]
      .map((v) => quote(String(v)))
      .join(','),
  );
  return `${[CSV_HEADER, ...lines].join('\n')}\n`;
}

/** RFC 4180 fields of one line. */
function fields(line: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let v = '';
      i++;
      for (;;) {
        if (i >= line.length) return undefined;
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            v += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        v += line[i++];
      }
      out.push(v);
      if (i < line.length && line[i] !== ',') return undefined;
      i++;
    } else {
      const end = line.indexOf(',', i);
      out.push((end < 0 ? line.slice(i) : line.slice(i, end)).trim());
      if (end < 0) break;
      i = end + 1;
    }
  }
  return out;
}

/** One entry to add, as the control API takes it. */
export interface CsvEntry {
  readonly address: string;
  readonly scope?: string;
  readonly reason: string;
  readonly bounceClass?: number;
  readonly source: string;
  readonly createdAt?: number;
}

/** Parses a whole file; the first bad line fails it (nothing is imported), naming the line. */
export function fromCsv(text: string, file: string): CsvEntry[] {
  const out: CsvEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || (i === 0 && line.toLowerCase().startsWith('address'))) continue;
    const f = fields(line);
    const bad = (why: string): never => {
      throw new PetrelError('PETREL_ERR_SUPPRESSION_INPUT', `${file}:${i + 1}: ${why}: ${line}`, { file, line: i + 1 });
    };
    if (!f || f.length > 6) bad('expected address[,scope,reason,bounce_class,source,created_at]');
    const [address = '', scope = '', reason = '', cls = '', source = '', created = ''] = f ?? [];
    if (!/^[^@\s]*@[^@\s]+$/.test(address)) bad('not an address or @domain');
    if (cls !== '' && !/^\d{1,3}$/.test(cls)) bad('bounce_class is not a number');
    const createdAt = created === '' ? undefined : Date.parse(created);
    if (createdAt !== undefined && Number.isNaN(createdAt)) bad('created_at is not a date');
    out.push({
      address,
      ...(scope !== '' ? { scope } : {}),
      reason: reason || 'manual',
      ...(cls !== '' ? { bounceClass: Number(cls) } : {}),
      source: source || 'import',
      ...(createdAt !== undefined ? { createdAt } : {}),
    });
  }
  return out;
}
