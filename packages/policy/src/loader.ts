/**
 * Loading policy modules: `import()` of each file (a cache-busting query on every load, so a
 * reload runs the file's current code), then validation of the default export against the
 * closed list of hook names. Any failure names the file and the reason; nothing is half-loaded.
 */
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PetrelError } from '@petrel/core';
import { HOOK_NAMES, isHookName } from './hooks.js';
import { DEFAULT_HOOK_TIMEOUT_MS, PolicySet, type LoadedModule, type PolicyEnv } from './runner.js';
import type { Policy } from './types.js';

/** One `[[policy]]` entry: an absolute path and its time limit. */
export interface PolicyModuleEntry {
  readonly file: string;
  readonly timeoutMs?: number;
}

let generation = 0;

function refuse(file: string, reason: string, cause?: unknown): never {
  throw new PetrelError(
    'PETREL_ERR_POLICY',
    `${file}: ${reason}`,
    { file, reason },
    cause === undefined ? undefined : { cause },
  );
}

/** Checks a module's default export; returns it typed, or throws naming the file. */
export function validatePolicy(file: string, exported: unknown): Policy {
  if (exported === undefined)
    refuse(file, 'no default export: write `export default { rcptTo(ctx) { … } }` (or definePolicy({ … }))');
  if (typeof exported !== 'object' || exported === null || Array.isArray(exported))
    refuse(
      file,
      `the default export must be an object of hooks, found ${Array.isArray(exported) ? 'an array' : typeof exported}`,
    );
  const keys = Object.keys(exported);
  for (const k of keys) {
    if (!isHookName(k)) {
      const near = HOOK_NAMES.find((h) => h.toLowerCase() === k.toLowerCase());
      refuse(
        file,
        `unknown hook "${k}"${near ? ` (did you mean "${near}"?)` : ''}; hooks are: ${HOOK_NAMES.join(', ')}`,
      );
    }
    const v = (exported as Record<string, unknown>)[k];
    if (typeof v !== 'function')
      refuse(file, `hook "${k}" must be a function, found ${v === null ? 'null' : typeof v}`);
  }
  return exported as Policy;
}

/** Imports one module file (fresh: a new query string each time) and validates it. */
export async function loadPolicyModule(entry: PolicyModuleEntry): Promise<LoadedModule> {
  const url = `${pathToFileURL(entry.file).href}?petrel-load=${++generation}`;
  let ns: { default?: unknown };
  try {
    ns = (await import(url)) as { default?: unknown };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_MODULE_NOT_FOUND' && e.message.includes(entry.file)) refuse(entry.file, 'file not found', err);
    refuse(entry.file, `cannot load: ${e.message ?? String(err)}`, err);
  }
  const policy = validatePolicy(entry.file, ns.default);
  const timeoutMs = entry.timeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS;
  if (!(timeoutMs > 0)) refuse(entry.file, `timeout must be above 0, found ${timeoutMs}`);
  return { name: basename(entry.file), file: entry.file, policy, timeoutMs };
}

/** Loads every module, in order, into one set; throws on the first that fails (the caller keeps its old set). */
export async function loadPolicySet(entries: readonly PolicyModuleEntry[], env: PolicyEnv): Promise<PolicySet> {
  const modules: LoadedModule[] = [];
  const names = new Set<string>();
  for (const entry of entries) {
    const m = await loadPolicyModule(entry);
    // Two files with one base name would share a metric label: number the later one.
    let name = m.name;
    for (let i = 2; names.has(name); i++) name = `${m.name}#${i}`;
    names.add(name);
    modules.push({ ...m, name });
  }
  try {
    return new PolicySet(modules, env);
  } catch (err) {
    const file =
      /^(\/[^:]+): /.exec((err as Error).message)?.[1] ??
      modules.find((m) => m.policy.clientStates)?.file ??
      '(policy)';
    refuse(file, `clientStates: ${(err as Error).message.replace(/^\/[^:]+: /, '')}`, err);
  }
}
