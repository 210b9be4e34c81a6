/**
 * Momentum's scope fallback for delivery options (shared reference §1). First hit wins:
 *   1/2. domain table inside the binding (the binding nested in a group, or standalone)
 *   3.   domain table inside the binding's group
 *   4.   the binding's own table
 *   4b.  the binding group's own table (Momentum's bg scope; our reading: below the binding)
 *   5.   global domain table
 *   6.   [global]
 *   -    the schema default
 * Exact domain names are tried before regex ones, regexes in declaration order.
 */
import { DELIVERY_OPTIONS, type DeliveryOptionName, type DeliveryOptions } from './schema.js';

export type OptionTable = Partial<DeliveryOptions>;

export interface DomainTables {
  readonly exact: ReadonlyMap<string, OptionTable>;
  readonly patterns: readonly { readonly source: string; readonly re: RegExp; readonly table: OptionTable }[];
}

export interface BindingDef {
  readonly name: string;
  readonly group: string;
  readonly bindAddress?: string;
  readonly options: OptionTable;
  readonly domains: DomainTables;
}

export interface BindingGroupDef {
  readonly name: string;
  readonly options: OptionTable;
  readonly domains: DomainTables;
  readonly bindings: readonly string[];
}

export interface ScopeTree {
  readonly global: OptionTable;
  readonly domains: DomainTables;
  readonly bindings: ReadonlyMap<string, BindingDef>;
  readonly groups: ReadonlyMap<string, BindingGroupDef>;
}

export const DEFAULT_BINDING = 'default';
export const DEFAULT_GROUP = 'default';

export function emptyDomainTables(): DomainTables {
  return { exact: new Map(), patterns: [] };
}

/** Where a resolved value came from, for `petrel route explain` and `config eval`. */
export interface Explained<V> {
  readonly value: V;
  /** e.g. 'binding_group "g1" binding "b1" domain "example.com"', 'global', 'default'. */
  readonly scope: string;
}

function lookupDomain(tables: DomainTables, domain: string): { table: OptionTable; key: string }[] {
  const hits: { table: OptionTable; key: string }[] = [];
  const exact = tables.exact.get(domain);
  if (exact) hits.push({ table: exact, key: domain });
  for (const p of tables.patterns) if (p.re.test(domain)) hits.push({ table: p.table, key: p.source });
  return hits;
}

/** Resolves delivery options for (binding, domain); results are memoised per pair. */
export class ScopeResolver {
  private readonly cache = new Map<string, DeliveryOptions>();

  constructor(readonly tree: ScopeTree) {}

  binding(name: string): BindingDef | undefined {
    return this.tree.bindings.get(name);
  }

  /** The value of one option, with the scope that supplied it. */
  explain<K extends DeliveryOptionName>(name: K, binding: string, domain: string): Explained<DeliveryOptions[K]> {
    const d = domain.toLowerCase();
    const b = this.tree.bindings.get(binding);
    const g = b ? this.tree.groups.get(b.group) : undefined;
    const candidates: { table: OptionTable; scope: string }[] = [];
    const bScope = b
      ? b.group === DEFAULT_GROUP
        ? `binding "${b.name}"`
        : `binding_group "${b.group}" binding "${b.name}"`
      : '';
    if (b)
      for (const hit of lookupDomain(b.domains, d))
        candidates.push({ table: hit.table, scope: `${bScope} domain "${hit.key}"` });
    if (g)
      for (const hit of lookupDomain(g.domains, d))
        candidates.push({ table: hit.table, scope: `binding_group "${g.name}" domain "${hit.key}"` });
    if (b) candidates.push({ table: b.options, scope: bScope });
    if (g) candidates.push({ table: g.options, scope: `binding_group "${g.name}"` });
    for (const hit of lookupDomain(this.tree.domains, d))
      candidates.push({ table: hit.table, scope: `domain "${hit.key}"` });
    candidates.push({ table: this.tree.global, scope: 'global' });
    for (const c of candidates) {
      if (Object.hasOwn(c.table, name) && c.table[name] !== undefined) {
        return { value: c.table[name] as DeliveryOptions[K], scope: c.scope };
      }
    }
    return { value: DELIVERY_OPTIONS[name].default as DeliveryOptions[K], scope: 'default' };
  }

  get<K extends DeliveryOptionName>(name: K, binding: string, domain: string): DeliveryOptions[K] {
    return this.policy(binding, domain)[name];
  }

  /** Every delivery option in force for (binding, domain): the destination policy. */
  policy(binding: string, domain: string): DeliveryOptions {
    const key = `${binding}\u0000${domain.toLowerCase()}`;
    let p = this.cache.get(key);
    if (!p) {
      const out: Record<string, unknown> = {};
      for (const name of Object.keys(DELIVERY_OPTIONS) as DeliveryOptionName[]) {
        out[name] = this.explain(name, binding, domain).value;
      }
      p = Object.freeze(out) as DeliveryOptions;
      if (this.cache.size > 100_000) this.cache.clear();
      this.cache.set(key, p);
    }
    return p;
  }
}
