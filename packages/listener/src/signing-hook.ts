/**
 * The listener's signing hook point: called once per message after the `data` policy phase and
 * before the spool commit, with the message as it will be stored, so that what is stored is
 * what leaves (DKIM signing, RFC 6376 §5: signers sign what they send; Momentum and KumoMTA sign
 * at reception too). The app fills it (packages/petrel/src/dkim/); left undefined it costs nothing.
 */
import type { MessageEnvelope, ReplyData } from '@petrel/core';
import type { PolicySessionInfo } from './policy-hooks.js';

/** The message a signer sees: envelope and the bytes the spool will store (trace header included). */
export interface SignRequest {
  readonly session: PolicySessionInfo;
  readonly envelope: MessageEnvelope;
  readonly body: Buffer;
}

/**
 * Header fields to prepend (each ending in CRLF), a refusal (e.g. 451 4.7.5 when the config
 * says unsignable mail is tempfailed), or undefined to store the message unchanged.
 */
export type SignResult = { readonly prepend: string } | { readonly reply: ReplyData } | undefined;

export type MessageSigner = (request: SignRequest) => SignResult | Promise<SignResult>;

/** Asked once per message, so a config reload (a rotated key) applies to the next message. */
export type MessageSignerSource = () => MessageSigner | undefined;
