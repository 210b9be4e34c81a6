/**
 * Validates the `[[policy]]` list: each table's keys against POLICY_KEYS, `module` required and
 * made absolute against the config file. Whether the file loads is checked by the daemon at start
 * and by `petrel policy check` (loading runs the module's code, which parsing a config must not).
 */
import type { Validator } from './loader.js';
import { POLICY_KEYS, type PolicyModuleConfig } from './schema.js';
import { forEachArrayTable } from './array-tables.js';

export function parsePolicyEntries(v: Validator, raw: unknown): PolicyModuleConfig[] {
  const out: PolicyModuleConfig[] = [];
  forEachArrayTable(v, 'policy', POLICY_KEYS, raw, ({ line, path, got, errorsBefore: before }) => {
    if (typeof got.module !== 'string' || got.module === '')
      v.failAt(line, [...path, 'module'], 'expected the module file, e.g. module = "policy/acme.mjs"');
    else if (!/\.(mjs|js)$/.test(got.module))
      v.failAt(
        line,
        [...path, 'module'],

        `expected a .mjs or .js file (compile TypeScript first, see docs/policy.md), found ` +
          `${JSON.stringify(got.module)}`,
      );
    if (typeof got.timeout === 'number' && got.timeout <= 0)
      v.failAt(line, [...path, 'timeout'], 'expected a duration above 0');
    if (v.errors.length > before) return;
    out.push({
      module: got.module as string,
      timeout: (got.timeout as number | undefined) ?? POLICY_KEYS.timeout.default,
      ...(line !== undefined ? { line } : {}),
    });
  });
  return out;
}
