/**
 * Shaping rule files as data (STYLE.md §9, docs/shaping.md): `[[site]]` limits per MX host pattern
 * and `[[rule]]` entries that turn remote replies into suspensions, throttles, connection limits or
 * bounces. Every error names the rule file, the rule and the key, and says what was expected.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, TomlError } from 'smol-toml';
import {
  PetrelError,
  parseDuration,
  parseRate,
  type Rate,
  type ShapingActionConfig,
  type ShapingActionKind,
  type ShapingDestinations,
  type ShapingRuleConfig,
  type ShapingRulesConfig,
  type ShapingScopeKind,
  type SiteLimitConfig,
} from '@petrel/core';

/** The shipped rules: config/shaping.toml at the repository root. */
export const DEFAULT_SHAPING_FILE = fileURLToPath(new URL('../../../config/shaping.toml', import.meta.url));

type Table = Record<string, unknown>;

const ACTIONS: readonly ShapingActionKind[] = ['suspend', 'throttle', 'max_connections', 'bounce'];
const SCOPES: readonly ShapingScopeKind[] = ['binding+domain', 'domain', 'binding', 'site'];
const RULE_KEYS = ['name', 'domains', 'mx', 'sites', 'regex', 'enhanced', 'code', 'count', 'within', 'action'];
const ACTION_KEYS = ['action', 'scope', 'duration', 'rate', 'connections'];
const SITE_KEYS = ['name', 'mx', 'binding', 'max_connections', 'max_connections_per_ip', 'throttle'];

/** Collects the errors of one file; `where` is "rule \"name\"" or "site \"name\"" plus the key. */
class FileErrors {
  readonly list: string[] = [];
  constructor(readonly file: string) {}
  add(where: string, key: string, what: string): void {
    this.list.push(`${this.file}: ${where}: ${key}: ${what}`);
  }
}

const isTable = (v: unknown): v is Table => typeof v === 'object' && v !== null && !Array.isArray(v);

function strings(t: Table, key: string, e: FileErrors, where: string): string[] {
  const v = t[key];
  if (v === undefined) return [];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string' && x !== '')) return v.map((x) => x.toLowerCase());
  e.add(where, key, `expected a list of non-empty strings, found ${JSON.stringify(v)}`);
  return [];
}

function positiveInt(t: Table, key: string, e: FileErrors, where: string): number | undefined {
  const v = t[key];
  if (v === undefined) return undefined;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 1) return v;
  e.add(where, key, `expected a whole number of at least 1, found ${JSON.stringify(v)}`);
  return undefined;
}

function duration(t: Table, key: string, e: FileErrors, where: string): number | undefined {
  const v = t[key];
  if (v === undefined) return undefined;
  const ms = typeof v === 'string' || typeof v === 'number' ? parseDuration(v) : undefined;
  if (ms !== undefined && ms > 0) return ms;
  e.add(where, key, `expected a positive duration such as "30m" or "2h", found ${JSON.stringify(v)}`);
  return undefined;
}

function rate(t: Table, key: string, e: FileErrors, where: string): Rate | undefined {
  const v = t[key];
  if (v === undefined) return undefined;
  const r = typeof v === 'string' || typeof v === 'number' ? parseRate(v) : undefined;
  if (r !== undefined) return r;
  e.add(where, key, `expected a rate "N/period" such as "10/60" or "100/1h", found ${JSON.stringify(v)}`);
  return undefined;
}

function unknownKeys(t: Table, known: readonly string[], e: FileErrors, where: string): void {
  for (const k of Object.keys(t))
    if (!known.includes(k)) e.add(where, k, `unknown key (known keys: ${known.join(', ')})`);
}

function parseAction(raw: unknown, e: FileErrors, where: string): ShapingActionConfig | undefined {
  if (!isTable(raw)) {
    e.add(where, 'action', `expected tables { action = "suspend", scope = "domain", duration = "1h" }`);
    return undefined;
  }
  unknownKeys(raw, ACTION_KEYS, e, where);
  const kind = raw.action;
  if (typeof kind !== 'string' || !ACTIONS.includes(kind as ShapingActionKind)) {
    e.add(where, 'action.action', `expected one of ${ACTIONS.join(', ')}, found ${JSON.stringify(kind)}`);
    return undefined;
  }
  const action = kind as ShapingActionKind;
  const scopeRaw = raw.scope ?? 'binding+domain';
  if (typeof scopeRaw !== 'string' || !SCOPES.includes(scopeRaw as ShapingScopeKind)) {
    e.add(where, 'action.scope', `expected one of ${SCOPES.join(', ')}, found ${JSON.stringify(scopeRaw)}`);
    return undefined;
  }
  const scope = scopeRaw as ShapingScopeKind;
  if (action === 'bounce') return { action, scope, duration: 0 };
  if (action === 'suspend' && scope === 'site') {
    e.add(where, 'action.scope', 'a suspend action applies to binding+domain, domain or binding, not site');
    return undefined;
  }
  const ms = duration(raw, 'duration', e, `${where}: action`);
  if (ms === undefined) {
    if (raw.duration === undefined) e.add(where, 'action.duration', `a ${action} action needs a duration`);
    return undefined;
  }
  if (action === 'throttle') {
    const r = rate(raw, 'rate', e, `${where}: action`);
    if (r === undefined) {
      if (raw.rate === undefined) e.add(where, 'action.rate', 'a throttle action needs a rate such as "10/60"');
      return undefined;
    }
    return { action, scope, duration: ms, rate: r };
  }
  if (action === 'max_connections') {
    const n = positiveInt(raw, 'connections', e, `${where}: action`);
    if (n === undefined) {
      if (raw.connections === undefined)
        e.add(where, 'action.connections', 'a max_connections action needs connections');
      return undefined;
    }
    return { action, scope, duration: ms, connections: n };
  }
  return { action, scope, duration: ms };
}

function destinations(t: Table, e: FileErrors, where: string): ShapingDestinations {
  return {
    domains: strings(t, 'domains', e, where),
    mx: strings(t, 'mx', e, where),
    sites: strings(t, 'sites', e, where),
  };
}

function parseRule(
  t: Table,
  index: number,
  file: string,
  e: FileErrors,
  names: Set<string>,
): ShapingRuleConfig | undefined {
  const name = typeof t.name === 'string' && t.name !== '' ? t.name : undefined;
  const where = name ? `rule "${name}"` : `rule #${index + 1}`;
  const before = e.list.length;
  if (!name) e.add(where, 'name', 'expected name = "a-unique-name"');
  else if (names.has(name)) e.add(where, 'name', `duplicate rule name "${name}"`);
  else names.add(name);
  unknownKeys(t, RULE_KEYS, e, where);
  const match = destinations(t, e, where);
  let regex: string | undefined;
  if (t.regex !== undefined) {
    if (typeof t.regex !== 'string' || t.regex === '') e.add(where, 'regex', 'expected a regular expression string');
    else {
      try {
        new RegExp(t.regex, 'i');
        regex = t.regex;
      } catch (err) {
        e.add(where, 'regex', `not a valid regular expression: ${(err as Error).message}`);
      }
    }
  }
  let enhanced: string | undefined;
  if (t.enhanced !== undefined) {
    if (typeof t.enhanced === 'string' && /^[245]\.\d{1,3}\.\d{1,3}$/.test(t.enhanced)) enhanced = t.enhanced;
    else
      e.add(
        where,
        'enhanced',
        `expected an enhanced status code such as "4.7.650", found ${JSON.stringify(t.enhanced)}`,
      );
  }
  let codeClass: '4' | '5' | undefined;
  if (t.code !== undefined) {
    if (t.code === '4xx' || t.code === '5xx') codeClass = t.code === '4xx' ? '4' : '5';
    else e.add(where, 'code', `expected "4xx" or "5xx", found ${JSON.stringify(t.code)}`);
  }
  if (t.regex === undefined && t.enhanced === undefined)
    e.add(where, 'regex', 'a rule needs regex or enhanced (or both)');
  const count = positiveInt(t, 'count', e, where) ?? 1;
  const within = duration(t, 'within', e, where) ?? 300_000;
  const rawActions = t.action === undefined ? [] : Array.isArray(t.action) ? t.action : [t.action];
  if (rawActions.length === 0) e.add(where, 'action', 'a rule needs at least one action');
  const actions = rawActions.map((a) => parseAction(a, e, where));
  if (e.list.length > before || !name) return undefined;
  return {
    name,
    file,
    match,
    ...(regex !== undefined ? { regex } : {}),
    ...(enhanced !== undefined ? { enhanced } : {}),
    ...(codeClass !== undefined ? { codeClass } : {}),
    count,
    within,
    actions: actions.filter((a): a is ShapingActionConfig => a !== undefined),
  };
}

function parseSite(t: Table, index: number, file: string, e: FileErrors): SiteLimitConfig | undefined {
  const name = typeof t.name === 'string' && t.name !== '' ? t.name : undefined;
  const where = name ? `site "${name}"` : `site #${index + 1}`;
  const before = e.list.length;
  if (!name) e.add(where, 'name', 'expected name = "a-name"');
  unknownKeys(t, SITE_KEYS, e, where);
  const mx = strings(t, 'mx', e, where);
  if (mx.length === 0 && t.mx === undefined) e.add(where, 'mx', 'expected mx = ["*.example.net"] (MX host patterns)');
  let binding: string | undefined;
  if (t.binding !== undefined) {
    if (typeof t.binding === 'string' && t.binding !== '') binding = t.binding;
    else e.add(where, 'binding', 'expected a binding name');
  }
  const maxConnections = positiveInt(t, 'max_connections', e, where);
  const maxConnectionsPerIp = positiveInt(t, 'max_connections_per_ip', e, where);
  const throttle = rate(t, 'throttle', e, where);
  if (e.list.length > before || !name) return undefined;
  return {
    name,
    file,
    mx,
    ...(binding !== undefined ? { binding } : {}),
    ...(maxConnections !== undefined ? { maxConnections } : {}),
    ...(maxConnectionsPerIp !== undefined ? { maxConnectionsPerIp } : {}),
    ...(throttle !== undefined ? { throttle } : {}),
  };
}

/** Parses one rule file's text; `errors` collects every problem (none = valid). */
export function parseShapingToml(
  text: string,
  file: string,
  names: Set<string> = new Set(),
): { rules: ShapingRuleConfig[]; sites: SiteLimitConfig[]; errors: string[] } {
  const e = new FileErrors(file);
  let doc: Table;
  try {
    doc = parse(text) as Table;
  } catch (err) {
    const where = err instanceof TomlError ? `line ${err.line}` : 'TOML';
    const what = (err as Error).message.split('\n')[0] ?? 'invalid TOML';
    return { rules: [], sites: [], errors: [`${file}: ${where}: ${what}`] };
  }
  for (const k of Object.keys(doc))
    if (k !== 'rule' && k !== 'site') e.add('file', k, 'unknown table (expected [[rule]] and [[site]] tables)');
  const list = (key: string): Table[] => {
    const v = doc[key];
    if (v === undefined) return [];
    if (Array.isArray(v) && v.every(isTable)) return v;
    e.add('file', key, `expected [[${key}]] tables`);
    return [];
  };
  const rules = list('rule')
    .map((t, i) => parseRule(t, i, file, e, names))
    .filter((r): r is ShapingRuleConfig => r !== undefined);
  const sites = list('site')
    .map((t, i) => parseSite(t, i, file, e))
    .filter((s): s is SiteLimitConfig => s !== undefined);
  return { rules, sites, errors: e.list };
}

/** Reads and validates the rule files (none given = the shipped one); throws PetrelError with every problem. */
export function loadShapingFiles(files: readonly string[]): ShapingRulesConfig {
  const list = files.length > 0 ? files : [DEFAULT_SHAPING_FILE];
  const names = new Set<string>();
  const rules: ShapingRuleConfig[] = [];
  const sites: SiteLimitConfig[] = [];
  const errors: string[] = [];
  for (const file of list) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      errors.push(`${file}: cannot read the shaping rule file: ${(err as Error).message}`);
      continue;
    }
    const r = parseShapingToml(text, file, names);
    rules.push(...r.rules);
    sites.push(...r.sites);
    errors.push(...r.errors);
  }
  if (errors.length > 0) throw new PetrelError('PETREL_ERR_SHAPING_RULES', errors.join('\n'), { errors });
  return { files: list, rules, sites };
}
