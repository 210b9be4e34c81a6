/**
 * Builds assignment rules from the config's `[[binding_rule]]` list: every match key a rule sets
 * must match (recipient domain, sender domain, header, AUTH user, client network); the result is
 * the rule's binding or group, or for a header rule the binding/group the header names.
 */
import { NetworkList, type BindingRuleConfig, type PetrelConfig } from '@petrel/core';
import { domainPatternOf } from '../config/binding-rules.js';
import type { AssignmentInput, AssignmentRule, AssignmentTarget } from './rules.js';

/** The two headers a header rule may read; outbound removes both before delivery. */
export const BINDING_HEADERS = ['X-Binding', 'X-Binding-Group'] as const;

type Matcher = (input: AssignmentInput) => boolean;

function domainMatcher(value: string): (domain: string) => boolean {
  const re = domainPatternOf(value);
  const exact = value.toLowerCase();
  return re ? (d) => re.test(d) : (d) => d === exact;
}

function senderDomain(sender: string): string | undefined {
  const at = sender.lastIndexOf('@');
  return at < 0 ? undefined : sender.slice(at + 1).toLowerCase();
}

function describe(rule: BindingRuleConfig): string {
  const keys = (['recipient_domain', 'sender_domain', 'header', 'auth_user', 'client_network'] as const)
    .filter((k) => rule[k] !== undefined)
    .map((k) => `${k} = ${JSON.stringify(rule[k])}`);
  const result =
    rule.header !== undefined
      ? `${rule.header === 'X-Binding' ? 'binding' : 'group'} from ${rule.header}`
      : rule.binding !== undefined
        ? `binding "${rule.binding}"`
        : `group "${rule.binding_group}"`;
  return (
    `binding_rule ${rule.index}${rule.line !== undefined ? ` (line ${rule.line})` : ''}: ` +
    `${keys.length ? keys.join(', ') : 'any'} → ${result}`
  );
}

/** One config rule as an AssignmentRule. */
export function ruleFromConfig(rule: BindingRuleConfig, config: PetrelConfig): AssignmentRule {
  const matchers: Matcher[] = [];
  if (rule.recipient_domain !== undefined) {
    const m = domainMatcher(rule.recipient_domain);
    matchers.push((i) => m(i.domain));
  }
  if (rule.sender_domain !== undefined) {
    const m = domainMatcher(rule.sender_domain);
    matchers.push((i) => {
      const d = senderDomain(i.envelope.sender);
      return d !== undefined && m(d);
    });
  }
  if (rule.auth_user !== undefined) {
    const user = rule.auth_user;
    matchers.push((i) => i.envelope.client?.authUser === user);
  }
  if (rule.client_network !== undefined) {
    const nets = new NetworkList(rule.client_network);
    matchers.push((i) => i.envelope.client !== undefined && nets.has(i.envelope.client.address));
  }
  const fixed: AssignmentTarget | undefined =
    rule.binding !== undefined
      ? { kind: 'binding', name: rule.binding }
      : rule.binding_group !== undefined
        ? { kind: 'group', name: rule.binding_group }
        : undefined;
  const header = rule.header;
  const tree = config.scopes;
  return {
    description: describe(rule),
    match: (input) => {
      for (const m of matchers) if (!m(input)) return undefined;
      if (header === undefined) return fixed;
      // The header is untrusted input: a name that is not configured is no match, not an error.
      const name = input.header?.(header);
      if (name === undefined || name === '') return undefined;
      if (header === 'X-Binding') return tree.bindings.has(name) ? { kind: 'binding', name } : undefined;
      return tree.groups.has(name) ? { kind: 'group', name } : undefined;
    },
  };
}

/** Every `[[binding_rule]]` of the config, in order. */
export function rulesFromConfig(config: PetrelConfig): AssignmentRule[] {
  return config.bindingRules.map((r) => ruleFromConfig(r, config));
}

/** True when some rule reads a header, so routing must read the message's header block. */
export function rulesNeedHeaders(config: PetrelConfig): boolean {
  return config.bindingRules.some((r) => r.header !== undefined);
}
