/**
 * @petrel/listener: Petrel's inbound ESMTP server (ARCHITECTURE.md "listener").
 *
 * Accepts MAIL/RCPT/DATA/BDAT under the relay policy (relay_networks or AUTH), streams the body
 * with strict line endings, hands each message to `spool.store` and answers 250 only once it is
 * durable; publishes `message.rejected` for every refusal. STARTTLS, AUTH PLAIN/LOGIN, DSN and
 * CHUNKING/BINARYMIME; see README.md for the policy table and the AUTH users file format.
 */
export { Listener, type ListenerStats, type ListenerOptions } from './listener.js';
export type { SmtpExtension, ExtensionContext } from './extensions.js';
export type { ServerState, CommandState } from './states.js';
export type { InboundPolicy, InboundPolicySource, PolicySessionInfo, PolicyVerdict } from './policy-hooks.js';
export type { MessageSigner, MessageSignerSource, SignRequest, SignResult } from './signing-hook.js';
/** scrypt password hashes for the AUTH users file (`user:scrypt$N$r$p$salt$hash`). */
export { hashPassword, verifyPassword, parseHash, UserDb, type PasswordHash } from './passwords.js';
