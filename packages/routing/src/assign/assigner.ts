/**
 * Assigns a (message, domain) to a binding: the first matching rule's target, a binding group
 * resolved to one of its bindings by weighted random pick among those not suspended for the
 * domain (Momentum: binding_group_choose_binding; "in a group new mail goes only to
 * non-suspended bindings"), and the implicit `default` binding when nothing fits.
 */
import { DEFAULT_BINDING, DEFAULT_GROUP, type ScopeResolver } from '@petrel/core';
import type { AssignmentInput, AssignmentRule, AssignmentTarget } from './rules.js';

export interface Assignment {
  readonly binding: string;
  readonly group: string;
  /** The rule that decided, or "default". */
  readonly reason: string;
}

export interface AssignerOptions {
  readonly scopes: ScopeResolver;
  /** First match wins. Empty = everything to the default binding. */
  readonly rules?: readonly AssignmentRule[];
  /** [0, 1) source for the pick inside a group; default Math.random. */
  readonly random?: () => number;
  /** Relative weight of a binding inside its group; default 1 each (the bindings' `weight` key). */
  readonly weightOf?: (binding: string) => number;
}

/** Chooses the binding of a (message, domain): rules in order, then the default binding. */
export class Assigner {
  private readonly rules: readonly AssignmentRule[];
  private readonly random: () => number;
  private readonly weightOf: (binding: string) => number;

  constructor(private readonly options: AssignerOptions) {
    this.rules = options.rules ?? [];
    this.random = options.random ?? Math.random;
    this.weightOf = options.weightOf ?? (() => 1);
  }

  assign(input: AssignmentInput): Assignment {
    const pinned = input.envelope.bindingGroup;
    if (pinned !== undefined) {
      // A pin (HTTP API token) comes before the rules; a group that cannot take mail falls back like a rule's.
      const chosen = this.resolveTarget({ kind: 'group', name: pinned }, input.domain);
      return chosen ? { ...chosen, reason: `pinned binding group "${pinned}"` } : this.fallback();
    }
    for (const rule of this.rules) {
      const target = rule.match(input);
      if (!target) continue;
      const chosen = this.resolveTarget(target, input.domain);
      if (chosen) return { ...chosen, reason: rule.description };
      // The target cannot take mail (unknown, or every binding suspended): Momentum falls back to default.
      break;
    }
    return this.fallback();
  }

  /**
   * The binding for a target chosen elsewhere (the setBinding policy hook), with the same group
   * pick as a rule's; undefined when it cannot take mail (unknown, or every binding suspended).
   */
  assignTarget(target: AssignmentTarget, domain: string, reason: string): Assignment | undefined {
    const chosen = this.resolveTarget(target, domain);
    return chosen ? { ...chosen, reason } : undefined;
  }

  private resolveTarget(target: AssignmentTarget, domain: string): Omit<Assignment, 'reason'> | undefined {
    const tree = this.options.scopes.tree;
    if (target.kind === 'binding') {
      const def = tree.bindings.get(target.name);
      return def ? { binding: def.name, group: def.group } : undefined;
    }
    const group = tree.groups.get(target.name);
    if (!group) return undefined;
    const candidates = group.bindings
      .filter((b) => !this.options.scopes.get('suspend_delivery', b, domain))
      .map((b) => ({ value: b, weight: Math.max(0, this.weightOf(b)) }));
    const picked = pickWeighted(candidates, this.random);
    return picked === undefined ? undefined : { binding: picked, group: group.name };
  }

  private fallback(): Assignment {
    const def = this.options.scopes.binding(DEFAULT_BINDING);
    return { binding: DEFAULT_BINDING, group: def?.group ?? DEFAULT_GROUP, reason: 'default' };
  }
}

/** One item, with probability proportional to its weight; undefined when all weights are 0. */
export function pickWeighted<T>(
  items: readonly { readonly value: T; readonly weight: number }[],
  random: () => number,
): T | undefined {
  let total = 0;
  for (const i of items) total += i.weight;
  if (!(total > 0)) return undefined;
  let r = random() * total;
  for (const i of items) {
    if (i.weight <= 0) continue;
    if (r < i.weight) return i.value;
    r -= i.weight;
  }
  // Floating-point rounding can leave r a hair above the last weight: take the last weighted item.
  for (let k = items.length - 1; k >= 0; k--) if (items[k]!.weight > 0) return items[k]!.value;
  return undefined;
}
