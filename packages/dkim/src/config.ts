/**
 * Validates `[[dkim]]` (core's `dkim` config extension slot): each table's keys against the
 * schema's DKIM_KEYS, the binding names against the file's bindings, and the key file itself,
 * which is read here so that an unreadable or malformed key is a config error naming the file and
 * a reload picks up a rotated key. Errors name the entry's [[dkim]] header line.
 */
import {
  DKIM_KEYS,
  type ConfigContext,
  type ConfigExtension,
  type ConfigExtensions,
  type DkimEnv,
  type DkimKeyConfig,
  isPetrelError,
  type OptionSpec,
} from '@petrel/core';
import { parseCanonicalization } from './canonicalize.js';
import { keyFileModeWarning, loadKeyFile } from './keys.js';

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

const SPECS = DKIM_KEYS as Record<string, OptionSpec>;
/** RFC 1035 §2.3.1 labels (and underscores, which selectors use), dot-separated. */
const LABEL = '[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?';
const NAME = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})*$`);

/** The [[dkim]] tables, each validated and its key loaded; undefined when any is wrong. */
export function parseDkimTables(ctx: ConfigContext, raw: unknown, env: DkimEnv): DkimKeyConfig[] | undefined {
  if (!Array.isArray(raw)) {
    ctx.fail(['dkim'], `expected a list of tables written [[dkim]], found ${ctx.show(raw)}`);
    return undefined;
  }
  const before = ctx.errors.length;
  const headers = ctx.arrayTableLines('dkim');
  const out: DkimKeyConfig[] = [];
  const seen = new Map<string, number>();
  for (const [i, t] of (raw as unknown[]).entries()) {
    const where = [`dkim[${i + 1}]`];
    const line = headers[i] ?? ctx.lineOf(['dkim']);
    const fail = (key: string | undefined, what: string): void => ctx.failAt(line, key ? [...where, key] : where, what);
    if (!isTable(t)) {
      fail(undefined, `expected a table { domain = "…", selector = "…", key_file = "…" }, found ${ctx.show(t)}`);
      continue;
    }
    const v: Record<string, unknown> = {};
    for (const [k, spec] of Object.entries(SPECS)) v[k] = spec.default;
    for (const [k, x] of Object.entries(t)) {
      const spec = SPECS[k];
      if (!spec) {
        fail(k, `unknown key (known keys: ${Object.keys(SPECS).join(', ')})`);
        continue;
      }
      const parsed = ctx.value([...where, k], spec, x, line);
      if (parsed !== undefined) v[k] = parsed;
    }
    for (const k of ['domain', 'selector', 'key_file'])
      if (t[k] === undefined) fail(k, `expected ${k === 'key_file' ? 'a PEM key file' : 'a name'}: it is required`);
    const domain = typeof v.domain === 'string' ? v.domain.toLowerCase().replace(/\.$/, '') : undefined;
    const selector = typeof v.selector === 'string' ? v.selector : undefined;
    if (domain !== undefined && !NAME.test(domain))
      fail('domain', `expected a domain name, found ${ctx.show(v.domain)}`);
    if (selector !== undefined && !NAME.test(selector))
      fail('selector', `expected a DNS label such as "s2026", found ${ctx.show(selector)}`);
    if (domain !== undefined && selector !== undefined) {
      const id = `${selector}._domainkey.${domain}`;
      const prior = seen.get(id);
      if (prior !== undefined)
        fail('selector', `expected one key per selector and domain, found ${id} again (also dkim[${prior}])`);
      else seen.set(id, i + 1);
    }
    const headerList = (v.headers as string[]).map((h) => h.trim());
    if (!headerList.some((h) => h.toLowerCase() === 'from'))
      fail('headers', 'expected a list that contains "From" (RFC 6376 §5.4: From must be signed)');
    for (const h of [...headerList, ...(v.oversign_headers as string[])])
      if (!/^[\x21-\x39\x3b-\x7e]+$/.test(h)) fail('headers', `expected header field names, found ${ctx.show(h)}`);
    for (const b of v.bindings as string[])
      if (!env.bindings.has(b)) fail('bindings', `expected a defined binding, found ${ctx.show(b)}`);
    for (const g of v.binding_groups as string[])
      if (!env.groups.has(g)) fail('binding_groups', `expected a defined binding group, found ${ctx.show(g)}`);
    if (typeof v.key_file !== 'string' || domain === undefined || selector === undefined) continue;
    const keyFile = v.key_file;
    let key: ReturnType<typeof loadKeyFile>;
    try {
      key = loadKeyFile(keyFile);
    } catch (e) {
      fail('key_file', isPetrelError(e) ? e.message : String(e));
      continue;
    }
    const algorithm = (v.algorithm as DkimKeyConfig['algorithm'] | undefined) ?? key.algorithm;
    if (algorithm !== key.algorithm) {
      fail('algorithm', `expected "${key.algorithm}" for the key in ${keyFile}, found "${algorithm}"`);
      continue;
    }
    const mode = keyFileModeWarning(keyFile);
    if (mode) ctx.warn([...where, 'key_file'], mode, line);
    out.push({
      index: i + 1,
      ...(line !== undefined ? { line } : {}),
      domain,
      selector,
      keyFile,
      algorithm,
      privateKey: key.privateKey,
      match: v.match as DkimKeyConfig['match'],
      bindings: v.bindings as string[],
      bindingGroups: v.binding_groups as string[],
      headers: headerList,
      oversignHeaders: v.oversign_headers as string[],
      canonicalization: parseCanonicalization(v.canonicalization as string)!,
      ...(typeof v.expiration === 'number' ? { expiration: v.expiration } : {}),
    });
  }
  return ctx.errors.length > before ? undefined : out;
}

/** The `dkim` slot of the loader (core's ConfigExtensions.dkim). */
export const dkimExtension: ConfigExtension<readonly DkimKeyConfig[] | undefined, DkimEnv> = {
  validate: (raw, ctx, env) => parseDkimTables(ctx, raw, env),
};

/** The config slots @petrel/dkim owns, for `loadConfig(file, { extensions })`. */
export const dkimConfigExtensions = { dkim: dkimExtension } as const satisfies ConfigExtensions;
