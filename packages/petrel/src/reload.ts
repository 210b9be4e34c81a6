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

const RESTART_SECTIONS = ['hostname', 'spool_dir', 'log_dir', 'log_level', 'listener', 'dns', 'control'] as const;

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b, (_k, v: unknown) => v);
}

/** Scope tables as plain data (Maps and RegExps made comparable). */
function scopesData(c: PetrelConfig): unknown {
  return JSON.parse(
    JSON.stringify(c.scopes, (_k, v: unknown) => (v instanceof Map ? Object.fromEntries(v) : v instanceof RegExp ? String(v) : v)),
  ) as unknown;
}

/** Loads `file` (throws PetrelError on a bad file: the running config stays) and diffs it. */
export function reloadConfig(current: PetrelConfig, file: string): { next: PetrelConfig; result: ReloadResult } {
  const next = loadConfig(file);
  const restartRequired = RESTART_SECTIONS.filter((k) => !same(current[k], next[k])).map(String);
  const applied = same(scopesData(current), scopesData(next)) ? [] : ['delivery options (global, domain, binding, binding_group scopes)'];
  return { next, result: { applied, restartRequired } };
}
