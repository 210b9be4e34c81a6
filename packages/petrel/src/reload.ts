/**
 * `petrel config reload`: re-reads the config file. Delivery options (every scoped option) apply
 * live, because services resolve them through ctx.config.delivery on each use; the other sections
 * bind sockets, files or caches at start and are reported as needing a restart.
 */
import { loadConfig, type PetrelConfig } from '@petrel/core';

export interface ReloadResult {
  readonly applied: readonly string[];
  readonly restartRequired: readonly string[];
}

/**
 * What services bind at start: sockets, files, caches, the bounce classifier, the binding
 * assigner. A change to any of these is reported, never silently ignored.
 */
const RESTART_SECTIONS = ['hostname', 'spool_dir', 'log_dir', 'log_level', 'stop_timeout', 'listener', 'dns', 'control', 'spool', 'bounce', 'eventlog', 'routing', 'bindingRules', 'bindingWeights'] as const;

/** The names an operator knows from the file. */
const SHOWN: Partial<Record<(typeof RESTART_SECTIONS)[number], string>> = { bindingRules: 'binding_rule', bindingWeights: 'binding weight' };

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b, (_k, v: unknown) => v);
}

/** Config data made comparable: Maps as objects, RegExps as their source. */
function plain(v: unknown): unknown {
  const text = JSON.stringify(v, (_k, x: unknown) => (x instanceof Map ? Object.fromEntries(x) : x instanceof RegExp ? String(x) : x));
  return text === undefined ? undefined : (JSON.parse(text) as unknown);
}

function scopesData(c: PetrelConfig): unknown {
  return plain(c.scopes);
}

/** Loads `file` (throws PetrelError on a bad file: the running config stays) and diffs it. */
export function reloadConfig(current: PetrelConfig, file: string): { next: PetrelConfig; result: ReloadResult } {
  const next = loadConfig(file);
  const restartRequired = RESTART_SECTIONS.filter((k) => !same(plain(current[k]), plain(next[k]))).map((k) => SHOWN[k] ?? k);
  const applied = same(scopesData(current), scopesData(next)) ? [] : ['delivery options (global, domain, binding, binding_group scopes)'];
  return { next, result: { applied, restartRequired } };
}
