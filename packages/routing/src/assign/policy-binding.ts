/**
 * The setBinding hook point (Momentum's validate_set_binding phase as code): the app may choose
 * the binding or binding group of a (message, recipient domain) before the configured rules.
 * Undefined (or a hook answering undefined) = the rules decide, as without policy.
 */
import type { MessageEnvelope } from '@petrel/core';

export type BindingTarget = { readonly binding: string } | { readonly bindingGroup: string };

/**
 * Resolves with a target, or undefined for the configured rules. Should not reject (a rejection counts as undefined).
 */
export type SetBindingHook = (
  envelope: MessageEnvelope,
  domain: string,
  recipients: readonly string[],
) => Promise<BindingTarget | undefined>;

/** Asked once per message: the hook of the policy set now, if it has one. */
export type SetBindingSource = () => SetBindingHook | undefined;
