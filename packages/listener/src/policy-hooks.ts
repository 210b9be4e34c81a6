/**
 * The listener's policy hook points (Momentum's validate_connect, _ehlo, _mailfrom, _rcptto,
 * _data phases). The app fills them from its policy modules; the listener only asks. A session
 * takes one snapshot at connect, so a reload never changes the rules under a session in flight.
 * A hook point left undefined costs nothing: the command path is the same as without policy.
 */
import type { ReplyData } from '@petrel/core';

/** The session as a hook sees it. */
export interface PolicySessionInfo {
  readonly connectionId: string;
  readonly client: { readonly address: string; readonly port: number };
  readonly localAddress?: string;
  readonly helo?: string;
  readonly esmtp: boolean;
  readonly tls: boolean;
  readonly authUser?: string;
}

/**
 * A verdict: a refusal reply, or undefined to go on; synchronous when the hooks answered at once
 * (the session then goes on without waiting). A promise should not reject (a rejection answers
 * 451 4.3.0).
 */
export type PolicyVerdict = ReplyData | undefined | Promise<ReplyData | undefined>;

export interface InboundPolicy {
  connect?(session: PolicySessionInfo): PolicyVerdict;
  ehlo?(session: PolicySessionInfo, helo: string, esmtp: boolean): PolicyVerdict;
  mailFrom?(session: PolicySessionInfo, sender: string, params: ReadonlyMap<string, string | undefined>): PolicyVerdict;
  rcptTo?(
    session: PolicySessionInfo,
    rcpt: {
      readonly sender: string;
      readonly recipient: string;
      readonly domain: string;
      readonly accepted: readonly string[];
      readonly params: ReadonlyMap<string, string | undefined>;
    },
  ): PolicyVerdict;
  /**
   * The whole message, before the spool commit. `parts` is the data as received (no trace
   * header yet); a result with `parts` replaces it (header edits).
   */
  data?(
    session: PolicySessionInfo,
    msg: { readonly sender: string; readonly recipients: readonly string[]; readonly parts: readonly Buffer[] },
  ): Promise<{ readonly reply?: ReplyData; readonly parts?: readonly Buffer[] } | undefined>;
}

/** Where a session gets its snapshot: called once per connection. */
export type InboundPolicySource = () => InboundPolicy | undefined;
