/**
 * Validates the `[[binding_rule]]` list (Momentum's validate_set_binding phase, as data): each
 * table's keys against BINDING_RULE_KEYS, regex domains compiled, exactly one result, and the
 * result naming a binding or group that exists. Errors name the line of the rule's header.
 */
import {
  BINDING_RULE_KEYS,
  type BindingRuleConfig,
  type BindingRuleEnv,
  type ConfigContext,
  type ConfigExtension,
} from '@petrel/core';

const MATCH_KEYS = ['recipient_domain', 'sender_domain', 'header', 'auth_user', 'client_network'] as const;

/** `"/re/"` or `"/re/i"` → the regex; undefined for an exact name. Matching is case-insensitive either way. */
export function domainPatternOf(value: string): RegExp | undefined {
  const m = /^\/(.*)\/(i?)$/.exec(value);
  return m ? new RegExp(m[1]!, 'i') : undefined;
}

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** The validated rules, in file order; problems go to the loader's context. */
export function parseBindingRules(v: ConfigContext, raw: unknown, ctx: BindingRuleEnv): BindingRuleConfig[] {
  if (raw === undefined) return [];
  const lines = v.arrayTableLines('binding_rule');
  if (!Array.isArray(raw)) {
    v.failAt(lines[0], ['binding_rule'], 'expected an array of tables written [[binding_rule]]');
    return [];
  }
  const rules: BindingRuleConfig[] = [];
  for (const [i, t] of raw.entries()) {
    const line = lines[i];
    const path = [`binding_rule[${i + 1}]`];
    const fail = (what: string): void => v.failAt(line, path, what);
    if (!isTable(t)) {
      fail('expected a table');
      continue;
    }
    const before = v.errors.length;
    const out: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(t)) {
      const spec = (BINDING_RULE_KEYS as Record<string, (typeof BINDING_RULE_KEYS)[keyof typeof BINDING_RULE_KEYS]>)[k];
      if (!spec) {
        fail(`unknown key "${k}" (known keys: ${Object.keys(BINDING_RULE_KEYS).join(', ')})`);
        continue;
      }
      // Reuse the value checks; the line comes from the rule header, not lineOf.
      const parsed = v.value([...path, k], spec, val, line);
      if (parsed !== undefined) out[k] = parsed;
    }
    for (const k of ['recipient_domain', 'sender_domain'] as const) {
      const val = out[k];
      if (typeof val !== 'string') continue;
      try {
        domainPatternOf(val);
      } catch (e) {
        fail(`${k}: expected a valid regular expression, found ${JSON.stringify(val)} (${(e as Error).message})`);
      }
    }
    const hasResult = out.binding !== undefined || out.binding_group !== undefined;
    if (out.header !== undefined) {
      if (!ctx.allowHeader) fail('a header rule needs [routing] allow_binding_header = true');
      if (hasResult) fail('a header rule takes its binding from the header: remove binding / binding_group');
    } else if (out.binding !== undefined && out.binding_group !== undefined) {
      fail('expected one result, binding or binding_group, found both');
    } else if (!hasResult) {
      fail('expected a result: binding = "NAME" or binding_group = "NAME"');
    }
    if (typeof out.binding === 'string' && !ctx.bindings.has(out.binding)) {
      fail(`binding "${out.binding}" is not defined (defined: ${[...ctx.bindings.keys()].join(', ')})`);
    }
    if (typeof out.binding_group === 'string' && !ctx.groups.has(out.binding_group)) {
      fail(`binding_group "${out.binding_group}" is not defined (defined: ${[...ctx.groups.keys()].join(', ')})`);
    }
    if (v.errors.length > before) continue;
    rules.push({ index: i + 1, ...(line !== undefined ? { line } : {}), ...out } as BindingRuleConfig);
  }
  return rules;
}

/** The match keys a rule sets, for descriptions ("sender_domain = …"). */
export function ruleMatchKeys(rule: BindingRuleConfig): (typeof MATCH_KEYS)[number][] {
  return MATCH_KEYS.filter((k) => rule[k] !== undefined);
}

/** The `[[binding_rule]]` slot of the loader (core's ConfigExtensions.bindingRules). */
export const bindingRulesExtension: ConfigExtension<readonly BindingRuleConfig[], BindingRuleEnv> = {
  validate: (raw, ctx, env) => parseBindingRules(ctx, raw, env),
};
