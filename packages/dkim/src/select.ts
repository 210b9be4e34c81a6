/**
 * Which configured keys sign a message: each `[[dkim]]` table applies to mail whose From: domain
 * (`match = "from"`, the default: DMARC alignment, RFC 7489 §3.1.1 relaxed), envelope sender
 * domain (`"envelope"`) or every message (`"all"`, an ESP's own signature) is its domain or a
 * subdomain of it, optionally narrowed to bindings or binding groups.
 */
import type { DkimKeyConfig } from '@petrel/core';

/** What selection looks at. */
export interface SelectionInput {
  /** Domain of the From: address, lower case; undefined when the message has none. */
  readonly fromDomain: string | undefined;
  /** Envelope sender domain, lower case; "" for the null sender. */
  readonly senderDomain: string;
  /** The bindings and groups the assignment rules give the message's recipient domains. */
  readonly bindings: ReadonlySet<string>;
  readonly bindingGroups: ReadonlySet<string>;
}

/** `d` equals `domain` or is a subdomain of it (case-insensitive). */
export function aligned(d: string | undefined, domain: string): boolean {
  if (d === undefined || d === '') return false;
  const a = d.toLowerCase();
  const b = domain.toLowerCase();
  return a === b || a.endsWith(`.${b}`);
}

/** The keys that apply, in config order. */
export function selectKeys(keys: readonly DkimKeyConfig[], input: SelectionInput): DkimKeyConfig[] {
  return keys.filter((k) => {
    if (k.match === 'from' && !aligned(input.fromDomain, k.domain)) return false;
    if (k.match === 'envelope' && !aligned(input.senderDomain, k.domain)) return false;
    if (k.bindings.length === 0 && k.bindingGroups.length === 0) return true;
    return k.bindings.some((b) => input.bindings.has(b)) || k.bindingGroups.some((g) => input.bindingGroups.has(g));
  });
}

/** The domain of the first address of a From: value (`"Name" <a@b.example>` or `a@b.example`), lower case. */
export function fromDomainOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const angle = /<[^<>@]*@([^<>\s]+)>/.exec(value);
  const bare = angle ?? /@([A-Za-z0-9.-]+)/.exec(value);
  const d = bare?.[1]?.replace(/\.$/, '').toLowerCase();
  return d === '' ? undefined : d;
}
