/**
 * Binding assignment rules (Momentum's validate_set_binding phase, as data): an ordered list,
 * the first rule that matches decides a binding or a binding group. Rule kinds planned:
 * recipient domain (exact / regex), sender domain, an `X-Binding` header when allowed, the
 * authenticated user, client network. `[[binding_rule]]` tables build them (config-rules.ts).
 */
import type { MessageEnvelope } from '@petrel/core';

/** What a rule sees: one message and the recipient domain being assigned. */
export interface AssignmentInput {
  readonly envelope: MessageEnvelope;
  /** Lower-cased recipient domain. */
  readonly domain: string;
  /** A header of the message, for header rules; present only when some rule reads headers. */
  readonly header?: (name: string) => string | undefined;
}

/** Where a matching rule sends the mail: one binding, or a group to pick a binding from. */
export type AssignmentTarget =
  | { readonly kind: 'binding'; readonly name: string }
  | { readonly kind: 'group'; readonly name: string };

export interface AssignmentRule {
  /** Shown in logs and explain output, e.g. 'recipient domain /\\.example$/ → group "bulk"'. */
  readonly description: string;
  /** The target when the rule applies to the input, else undefined (try the next rule). */
  match(input: AssignmentInput): AssignmentTarget | undefined;
}

/** An exact domain (case-insensitive) or a regular expression (anchor it, as Momentum asks). */
export type DomainPattern = string | RegExp;

function domainMatches(pattern: DomainPattern, domain: string): boolean {
  return typeof pattern === 'string' ? pattern.toLowerCase() === domain : pattern.test(domain);
}

function describeTarget(t: AssignmentTarget): string {
  return `${t.kind === 'binding' ? 'binding' : 'group'} "${t.name}"`;
}

/** Mail to recipients of a matching domain goes to the target. */
export function recipientDomainRule(pattern: DomainPattern, target: AssignmentTarget): AssignmentRule {
  return {
    description: `recipient domain ${String(pattern)} → ${describeTarget(target)}`,
    match: (input) => (domainMatches(pattern, input.domain) ? target : undefined),
  };
}

/** Mail from senders of a matching domain goes to the target; the null sender <> never matches. */
export function senderDomainRule(pattern: DomainPattern, target: AssignmentTarget): AssignmentRule {
  return {
    description: `sender domain ${String(pattern)} → ${describeTarget(target)}`,
    match: (input) => {
      const at = input.envelope.sender.lastIndexOf('@');
      if (at < 0) return undefined;
      return domainMatches(pattern, input.envelope.sender.slice(at + 1).toLowerCase()) ? target : undefined;
    },
  };
}
