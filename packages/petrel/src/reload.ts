/**
 * `petrel config reload`: re-reads the config file and reports, key by key, what applies live and
 * what needs a restart. Delivery options (every scoped option, bindings and groups), binding rules
 * and weights apply live: services resolve them through ctx.config on each use, and what they
 * derive from the config (routing's route resolver and assigner, throttle buckets, idle
 * connections on an old route) is dropped on the `config.reloaded` event the daemon publishes.
 * The other sections bind sockets, files or caches at start and are reported as needing a restart.
 */
import type { OptionTable, PetrelConfig, ScopeTree } from '@petrel/core';
import { publicKeyData } from '@petrel/dkim';
import { loadPetrelConfig } from './config.js';

export interface ReloadResult {
  readonly applied: readonly string[];
  readonly restartRequired: readonly string[];
}

/**
 * What services bind at start: the host name (listener banner and trace header), directories and
 * log files, the listener's sockets and limits (also the addresses routing refuses to loop to),
 * the DNS client, the control socket, the spool, the bounce classifier and the event log files.
 * A change to any of these is reported, never silently ignored.
 */
const RESTART_SECTIONS = [
  'hostname',
  'spool_dir',
  'log_dir',
  'log_level',
  'stop_timeout',
  'listener',
  'dns',
  'control',
  'spool',
  'bounce',
  'eventlog',
  'cluster',
] as const;

/** Sections outside the scopes that routing rebuilds from on `config.reloaded`, by their file names. */
const LIVE_SECTIONS = {
  routing: 'routing',
  bindingRules: 'binding_rule',
  bindingWeights: 'binding weight',
  // Read at each MTA-STS policy fetch and MX session (routing tls/discovery.ts, outbound tls-plan.ts).
  tlsPolicy: 'tls_policy',
  // Rules, site limits and warm-up schedules are read on use (shaping service, queue, outbound).
  shaping: 'shaping',
} as const;

/** Config data made comparable: Maps as objects, RegExps as their source. */
function plain(v: unknown): unknown {
  const text = JSON.stringify(v, (_k, x: unknown) =>
    x instanceof Map ? Object.fromEntries(x) : x instanceof RegExp ? String(x) : x,
  );
  return text === undefined ? undefined : (JSON.parse(text) as unknown);
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(plain(a)) === JSON.stringify(plain(b));
}

/**
 * Every scoped value of the tree under an operator-readable name, e.g. `routes (domain "x.test")`,
 * `bind_address (binding "b1")`: a reload reports exactly the keys that changed.
 */
function scopedValues(tree: ScopeTree): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const table = (scope: string, t: OptionTable): void => {
    for (const [k, v] of Object.entries(t)) {
      // The loader empties the partner of a table's routes/gateway (@petrel/routing's route-entries): not a
      // key the operator wrote.
      if ((k === 'gateway' && t.routes?.length) || (k === 'routes' && t.gateway?.length)) continue;
      out.set(`${k} (${scope})`, v);
    }
  };
  const domains = (prefix: string, d: ScopeTree['domains']): void => {
    for (const [name, t] of d.exact) table(`${prefix}domain "${name}"`, t);
    for (const p of d.patterns) table(`${prefix}domain ${p.source}`, p.table);
  };
  table('global', tree.global);
  domains('', tree.domains);
  for (const g of tree.groups.values()) {
    table(`binding_group "${g.name}"`, g.options);
    domains(`binding_group "${g.name}" `, g.domains);
  }
  for (const b of tree.bindings.values()) {
    out.set(`bind_address (binding "${b.name}")`, b.bindAddress);
    out.set(`binding_group (binding "${b.name}")`, b.group);
    table(`binding "${b.name}"`, b.options);
    domains(`binding "${b.name}" `, b.domains);
  }
  return out;
}

/** Names of the scoped values that differ, in file order of the new config, then the removed ones. */
function changedScoped(current: ScopeTree, next: ScopeTree): string[] {
  const a = scopedValues(current);
  const b = scopedValues(next);
  const changed = [...b.keys()].filter((k) => !same(a.get(k), b.get(k)));
  return changed.concat([...a.keys()].filter((k) => !b.has(k) && a.get(k) !== undefined));
}

/**
 * [[dkim]] and [dkim_options] apply to the next message (the signer reads the current config);
 * keys compare by their public half, so a key file rotated under the same name is reported.
 */
function dkimChanges(current: PetrelConfig, next: PetrelConfig): string[] {
  const view = (c: PetrelConfig): unknown =>
    c.dkim.map((k) => ({ ...k, privateKey: publicKeyData(k.privateKey), line: undefined }));
  return [
    ...(same(view(current), view(next)) ? [] : ['dkim']),
    ...(same(current.dkimOptions, next.dkimOptions) ? [] : ['dkim_options']),
  ];
}

/** Loads `file` (throws PetrelError on a bad file: the running config stays) and diffs it. */
export function reloadConfig(current: PetrelConfig, file: string): { next: PetrelConfig; result: ReloadResult } {
  const next = loadPetrelConfig(file);
  const restartRequired = RESTART_SECTIONS.filter((k) => !same(current[k], next[k]));
  const live = (Object.keys(LIVE_SECTIONS) as (keyof typeof LIVE_SECTIONS)[])
    .filter((k) => !same(current[k], next[k]))
    .map((k) => LIVE_SECTIONS[k]);
  const applied = [...changedScoped(current.scopes, next.scopes), ...live, ...dkimChanges(current, next)];
  return { next, result: { applied, restartRequired } };
}
