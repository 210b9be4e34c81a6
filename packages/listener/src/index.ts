/**
 * @petrel/listener: Petrel's inbound ESMTP server (ARCHITECTURE.md "listener").
 *
 * Accepts MAIL/RCPT/DATA under the relay policy, streams the body with strict line endings,
 * hands each message to `spool.store` and answers 250 only once it is durable; publishes
 * `message.rejected` for every refusal.
 */
export { Listener, type ListenerStats, type ListenerOptions } from './listener.js';
export type { SmtpExtension, ExtensionContext } from './extensions.js';
export type { ServerState, CommandState } from './states.js';
