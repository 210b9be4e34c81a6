/**
 * Validates the `[[policy]]` list: each table's keys against POLICY_KEYS, `module` required and
 * made absolute against the config file. Whether the file loads is checked by the daemon at start
 * and by `petrel policy check` (loading runs the module's code, which parsing a config must not).
 */
import type { Validator } from './loader.js';
import { POLICY_KEYS, type PolicyModuleConfig } from './schema.js';

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

export function parsePolicyEntries(v: Validator, raw: unknown): PolicyModuleConfig[] {
  if (raw === undefined) return [];
  const lines = v.arrayTableLines('policy');
  if (!Array.isArray(raw)) {
    v.failAt(lines[0], ['policy'], 'expected an array of tables written [[policy]]');
    return [];
  }
  const out: PolicyModuleConfig[] = [];
  raw.forEach((t, i) => {
    const line = lines[i];
    const path = [`policy[${i + 1}]`];
    if (!isTable(t)) {
      v.failAt(line, path, 'expected a table');
      return;
    }
    const before = v.errors.length;
    const got: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(t)) {
      const spec = (POLICY_KEYS as Record<string, (typeof POLICY_KEYS)[keyof typeof POLICY_KEYS]>)[k];
      if (!spec) {
        v.failAt(line, path, `unknown key "${k}" (known keys: ${Object.keys(POLICY_KEYS).join(', ')})`);
        continue;
      }
      const errs = v.errors.length;
      const parsed = v.value([...path, k], spec, val);
      if (v.errors.length > errs) {
        // Re-anchor the message on the [[policy]] header line.
        const msg = v.errors.pop()!;
        const prefix = `${[...path, k].join('.')}: `;
        v.failAt(line, [...path, k], msg.slice(msg.indexOf(prefix) + prefix.length));
      } else got[k] = parsed;
    }
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
