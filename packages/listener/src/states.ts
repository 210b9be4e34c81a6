/**
 * The server states of one SMTP session, named after Momentum's esmtp_message_factory states
 * (reference §10), and the table of legal transitions between them.
 *
 * Petrel queues replies instead of waiting on each write, so Momentum's "sending … response"
 * states (1, 3, 5, 7, 10) fold into the state the session moves to, and "data phase" (8) folds
 * into "reading body" (9). Momentum's extension states (14–17) are named here after what they
 * do: STARTTLS, the AUTH exchange and BDAT chunks. The names are what rejections report as their
 * `phase`.
 */
import { PetrelError } from '@petrel/core';

export type ServerState =
  | 'just connected'
  /** Also the optional greeting_delay: input now is an early talker. */
  | 'sending banner'
  | 'awaiting ehlo/helo'
  | 'awaiting mailfrom'
  | 'awaiting rcptto'
  | 'reading body'
  | 'async body handler'
  | 'concurrency limit'
  /** RFC 3207: after 220 to STARTTLS, until the handshake is done. */
  | 'starting tls'
  /** RFC 4954 §4: after a 334 challenge, the next line is a SASL response. */
  | 'awaiting auth response'
  /** RFC 3030: the octets of one BDAT chunk. */
  | 'reading chunk'
  /** RFC 3030: between BDAT chunks of one message; only BDAT, RSET, NOOP, QUIT, EHLO/HELO fit. */
  | 'awaiting bdat'
  | 'closed';

/** States in which the session reads command lines. */
export type CommandState = 'awaiting ehlo/helo' | 'awaiting mailfrom' | 'awaiting rcptto' | 'awaiting bdat';

export const COMMAND_STATES: readonly CommandState[] = [
  'awaiting ehlo/helo',
  'awaiting mailfrom',
  'awaiting rcptto',
  'awaiting bdat',
];

export function isCommandState(s: ServerState): s is CommandState {
  return (COMMAND_STATES as readonly ServerState[]).includes(s);
}

/** Where each state may go next; anything else is a bug in the listener, not the client's fault. */
export const TRANSITIONS: Readonly<Record<ServerState, readonly ServerState[]>> = {
  'just connected': ['sending banner', 'concurrency limit', 'closed'],
  'sending banner': ['awaiting ehlo/helo', 'closed'],
  // RFC 5321 §4.1.4: EHLO/HELO may be repeated; each resets the transaction.
  'awaiting ehlo/helo': ['awaiting ehlo/helo', 'awaiting mailfrom', 'closed'],
  'awaiting mailfrom': ['awaiting mailfrom', 'awaiting rcptto', 'starting tls', 'awaiting auth response', 'closed'],
  'awaiting rcptto': ['awaiting rcptto', 'awaiting mailfrom', 'reading body', 'reading chunk', 'closed'],
  'reading body': ['async body handler', 'closed'],
  'async body handler': ['awaiting mailfrom', 'closed'],
  'concurrency limit': ['closed'],
  // RFC 3207 §4.2: after the handshake the client starts over with EHLO.
  'starting tls': ['awaiting ehlo/helo', 'closed'],
  'awaiting auth response': ['awaiting mailfrom', 'closed'],
  'reading chunk': ['awaiting bdat', 'async body handler', 'closed'],
  'awaiting bdat': ['reading chunk', 'awaiting mailfrom', 'closed'],
  closed: [],
};

export function checkTransition(from: ServerState, to: ServerState): void {
  if (!TRANSITIONS[from].includes(to)) {
    throw new PetrelError('PETREL_ERR_SERVICE_STATE', `listener session cannot go from "${from}" to "${to}"`, {
      from,
      to,
    });
  }
}
