/**
 * Outbound's policy hook points: the SMTP client machine with operator states (Momentum
 * register_smtp_client_state) and beforeDelivery (header additions and MAIL/RCPT parameters per
 * message per attempt, Momentum smtp_client_args_add). A connection takes one snapshot when it
 * starts, so a reload never changes a connection in flight. Undefined = no cost.
 */
import type { DeliveryJob, ReplyData } from '@petrel/core';
import type { StateMachine } from '@petrel/smtp-client';

/** What beforeDelivery adds to one attempt, or the reply to defer it with (the hook failed). */
export type DeliveryAdditions =
  | { readonly prepend?: Buffer; readonly mailParams?: readonly string[]; readonly rcptParams?: readonly string[] }
  | { readonly defer: ReplyData };

export interface OutboundPolicy {
  /** The client state machine for this connection's sessions. */
  readonly machine?: StateMachine;
  /** Called once per job per attempt with the body as it will be sent; should not reject (a rejection defers). */
  beforeDelivery?(job: DeliveryJob, body: Buffer): Promise<DeliveryAdditions>;
}

export type OutboundPolicySource = () => OutboundPolicy | undefined;
