/**
 * The common walk of a `[[name]]` list ([[policy]], [[webhook]]): each entry must be a table whose
 * keys are in `keys` and whose values pass their spec; errors are anchored on the entry's header
 * line (array-of-tables keys cannot be located by path). The caller then checks what is its own.
 */
import type { Validator } from './loader.js';
import type { OptionSpec } from './schema.js';

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** One table of the list, its values checked. */
export interface ArrayTableEntry {
  /** Line of its `[[name]]` header, when known. */
  readonly line: number | undefined;
  /** `name[i]` (1-based), the key path prefix of its messages. */
  readonly path: readonly string[];
  /** The keys given, parsed (absent when their value was wrong). */
  readonly got: Readonly<Record<string, unknown>>;
  /** `v.errors.length` before this entry: more now means the entry had errors. */
  readonly errorsBefore: number;
}

/** Calls `each` for every table of the list in file order, after checking its keys and values. */
export function forEachArrayTable(
  v: Validator,
  name: string,
  keys: Readonly<Record<string, OptionSpec>>,
  raw: unknown,
  each: (entry: ArrayTableEntry) => void,
): void {
  if (raw === undefined) return;
  const lines = v.arrayTableLines(name);
  if (!Array.isArray(raw)) {
    v.failAt(lines[0], [name], `expected an array of tables written [[${name}]]`);
    return;
  }
  raw.forEach((t, i) => {
    const line = lines[i];
    const path = [`${name}[${i + 1}]`];
    if (!isTable(t)) {
      v.failAt(line, path, 'expected a table');
      return;
    }
    const errorsBefore = v.errors.length;
    const got: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(t)) {
      const spec = keys[k];
      if (!spec) {
        v.failAt(line, path, `unknown key "${k}" (known keys: ${Object.keys(keys).join(', ')})`);
        continue;
      }
      const errs = v.errors.length;
      const parsed = v.value([...path, k], spec, val);
      if (v.errors.length > errs) {
        // Re-anchor the message on the [[name]] header line.
        const msg = v.errors.pop()!;
        const prefix = `${[...path, k].join('.')}: `;
        v.failAt(line, [...path, k], msg.slice(msg.indexOf(prefix) + prefix.length));
      } else got[k] = parsed;
    }
    each({ line, path, got, errorsBefore });
  });
}
