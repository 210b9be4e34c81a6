/**
 * @petrel/smtp-client: the outbound SMTP client as an explicit state machine. Protocol only:
 * given a host and a transaction, it returns one outcome per recipient.
 */
export { SmtpSession } from './session.js';
export { SmtpSessionError } from './errors.js';
export type {
  SessionTimeouts,
  SessionOptions,
  TimeoutKey,
  TransactionRecipient,
  Transaction,
  RecipientResult,
  TransactionResult,
  Capabilities,
  SessionEvents,
  SessionEventName,
} from './types.js';
export { createSessionTimeouts } from './timeouts.js';
export {
  StateMachine,
  defaultStateMachine,
  registerState,
  getState,
  getStateMachine,
  type RegisteredState,
  type RegisterOptions,
} from './state-machine.js';
export type { SmtpState, Phase, ReplyHandler, ReplyRoutes, LostReplies } from './state.js';
export type { StateContext } from './context.js';
export { ReplyReader, type ParsedReply, type ReplyReaderHooks } from './reply-reader.js';
export { parseCapabilities } from './capabilities.js';
export { INTERNAL as INTERNAL_REPLIES } from './internal-replies.js';
export { encodeBody, END_OF_DATA, type BodyBlock } from './body-encoder.js';
export { xtext } from './xtext.js';
export { downconvert, quotedPrintable, has8bit, type Downconverted } from './downconvert.js';
export { BDAT_CHUNK } from './states/bdat.js';
export { judgeTls, daneVerdict, peerChain, mxMatches, type TlsAuthPolicy, type TlsVerdict } from './tls-auth.js';
