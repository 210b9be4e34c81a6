/**
 * The built-in verbs (RFC 5321 §4.1.1) as a table: the states each is accepted in, and what it
 * does. Handlers decide replies; the session owns state changes and I/O.
 */
import { domainOf, type BodyType, type Recipient, type ReplyData } from '@petrel/core';
import { isAscii, parsePathArgs, type PathError } from './path-args.js';
import { REPLIES, replyFor } from './replies.js';
import type { SessionSettings } from './settings.js';
import { COMMAND_STATES, type CommandState } from './states.js';
import type { Transaction } from './transaction.js';

/** What a verb handler may do to its session. */
export interface CommandSession {
  readonly state: CommandState;
  readonly settings: SessionSettings;
  readonly client: { readonly address: string; readonly port: number };
  readonly esmtp: boolean;
  readonly tx: Transaction | undefined;
  reply(r: ReplyData): void;
  /** Replies and publishes `message.rejected`. */
  refuse(r: ReplyData, about?: { sender?: string; recipient?: string }): void;
  greet(helo: string, esmtp: boolean): void;
  startTransaction(tx: Transaction): void;
  addRecipient(r: Recipient): void;
  beginData(): void;
  reset(): void;
  quit(): void;
  ehloKeywords(): string[];
  verbs(): string[];
}

export interface VerbSpec {
  readonly states: readonly CommandState[];
  /** Refusals of this verb are published as rejections (MAIL, RCPT, DATA). */
  readonly transactional: boolean;
  readonly run: (s: CommandSession, args: string) => void;
}

const ANY = COMMAND_STATES;

function ehlo(s: CommandSession, args: string, esmtp: boolean): void {
  const name = args.trim();
  if (name === '' || /\s/.test(name)) return s.reply(esmtp ? REPLIES.ehloSyntax : REPLIES.heloSyntax);
  s.greet(name, esmtp);
  const { hostname, maxMessageSize } = s.settings;
  if (!esmtp) return s.reply(replyFor.helo(hostname));
  s.reply(
    replyFor.ehlo(hostname, [
      'PIPELINING', // RFC 2920
      `SIZE ${maxMessageSize}`, // RFC 1870
      '8BITMIME', // RFC 6152
      'SMTPUTF8', // RFC 6531
      'ENHANCEDSTATUSCODES', // RFC 2034
      ...s.ehloKeywords(),
    ]),
  );
}

const PATH_ERRORS: Record<'MAIL' | 'RCPT', Record<PathError, ReplyData>> = {
  MAIL: { syntax: REPLIES.mailSyntax, address: REPLIES.badSender, 'duplicate-param': REPLIES.duplicateParam },
  RCPT: { syntax: REPLIES.rcptSyntax, address: REPLIES.badRecipient, 'duplicate-param': REPLIES.duplicateParam },
};

function mail(s: CommandSession, args: string): void {
  const parsed = parsePathArgs(args, 'FROM:');
  if (!parsed.ok) return s.refuse(PATH_ERRORS.MAIL[parsed.error]);
  const { address, params } = parsed.value;
  // RFC 5321 §4.1.1.11 / §2.2.2: MAIL parameters only exist after EHLO.
  if (!s.esmtp && params.size > 0) return s.refuse(replyFor.unknownParam([...params.keys()].join(' ')), { sender: address });
  let bodyType: BodyType | undefined;
  let declaredSize: number | undefined;
  let smtputf8 = false;
  for (const [name, value] of params) {
    switch (name) {
      case 'SIZE': // RFC 1870 §6: refuse at MAIL a size above the fixed limit
        if (value === undefined || !/^\d{1,20}$/.test(value)) return s.refuse(REPLIES.badParamValue, { sender: address });
        declaredSize = Number(value);
        if (declaredSize > s.settings.maxMessageSize) return s.refuse(REPLIES.sizeExceeded, { sender: address });
        break;
      case 'BODY': {
        // RFC 6152 §3: BODY=7BIT or BODY=8BITMIME (BINARYMIME needs CHUNKING, not offered).
        const v = value?.toUpperCase();
        if (v !== '7BIT' && v !== '8BITMIME') return s.refuse(REPLIES.badParamValue, { sender: address });
        bodyType = v;
        break;
      }
      case 'SMTPUTF8': // RFC 6531 §3.4: a keyword without value
        if (value !== undefined) return s.refuse(REPLIES.badParamValue, { sender: address });
        smtputf8 = true;
        break;
      default:
        return s.refuse(replyFor.unknownParam(name), { sender: address });
    }
  }
  if (!smtputf8 && !isAscii(address)) return s.refuse(REPLIES.needSmtputf8, { sender: address });
  s.startTransaction({
    sender: address,
    recipients: [],
    smtputf8,
    ...(bodyType !== undefined ? { bodyType } : {}),
    ...(declaredSize !== undefined ? { declaredSize } : {}),
  });
  s.reply(REPLIES.senderOk);
}

function rcpt(s: CommandSession, args: string): void {
  const tx = s.tx;
  const sender = tx?.sender;
  const about = (recipient?: string): { sender?: string; recipient?: string } => ({
    ...(sender !== undefined ? { sender } : {}),
    ...(recipient !== undefined ? { recipient } : {}),
  });
  const parsed = parsePathArgs(args, 'TO:');
  if (!parsed.ok) return s.refuse(PATH_ERRORS.RCPT[parsed.error], about());
  const { address, params } = parsed.value;
  // The recipient must have a domain: it is the unit of routing. (<> is never a recipient.)
  if (address === '') return s.refuse(REPLIES.badRecipient, about());
  const first = params.keys().next();
  if (!first.done) return s.refuse(replyFor.unknownParam(first.value), about(address));
  if (!tx?.smtputf8 && !isAscii(address)) return s.refuse(REPLIES.needSmtputf8, about(address));
  if (!s.settings.relay.has(s.client.address)) return s.refuse(replyFor.relayDenied(address), about(address));
  // RFC 5321 §4.5.3.1.10: 452 (not 5xx) so the client sends the rest in another transaction.
  if ((tx?.recipients.length ?? 0) >= s.settings.maxRecipients) return s.refuse(REPLIES.tooManyRecipients, about(address));
  s.addRecipient({ address, domain: domainOf(address) });
  s.reply(REPLIES.recipientOk);
}

function data(s: CommandSession, args: string): void {
  if (args.trim() !== '') return s.refuse(REPLIES.dataSyntax, s.tx ? { sender: s.tx.sender } : {});
  // RFC 5321 §3.3: DATA needs at least one accepted recipient; 503 otherwise.
  if (!s.tx || s.tx.recipients.length === 0) return s.refuse(REPLIES.needRcpt, s.tx ? { sender: s.tx.sender } : {});
  s.reply(REPLIES.startData);
  s.beginData();
}

export const BUILTIN_VERBS: ReadonlyMap<string, VerbSpec> = new Map<string, VerbSpec>([
  // RFC 5321 §4.1.4: EHLO/HELO may come again at any time and reset the transaction.
  ['EHLO', { states: ANY, transactional: false, run: (s, a) => ehlo(s, a, true) }],
  ['HELO', { states: ANY, transactional: false, run: (s, a) => ehlo(s, a, false) }],
  ['MAIL', { states: ['awaiting mailfrom'], transactional: true, run: mail }],
  ['RCPT', { states: ['awaiting rcptto'], transactional: true, run: rcpt }],
  ['DATA', { states: ['awaiting rcptto'], transactional: true, run: data }],
  [
    'RSET',
    {
      states: ANY,
      transactional: false,
      run: (s, a) => {
        if (a.trim() !== '') return s.reply(REPLIES.noArgsSyntax);
        s.reset();
        s.reply(REPLIES.ok);
      },
    },
  ],
  // RFC 5321 §4.1.1.9: NOOP may carry a string, which is ignored.
  ['NOOP', { states: ANY, transactional: false, run: (s) => s.reply(REPLIES.ok) }],
  ['QUIT', { states: ANY, transactional: false, run: (s) => s.quit() }],
  ['VRFY', { states: ANY, transactional: false, run: (s) => s.reply(REPLIES.vrfy) }],
  ['HELP', { states: ANY, transactional: false, run: (s) => s.reply(replyFor.help(s.verbs())) }],
]);

/** The 503 for a verb in the wrong state, worded for the state (RFC 5321 §4.3.2). */
export function sequenceReply(verb: string, state: CommandState): ReplyData {
  if (state === 'awaiting ehlo/helo') return REPLIES.needHelo;
  if (verb === 'MAIL') return REPLIES.nestedMail;
  if (state === 'awaiting mailfrom') return REPLIES.needMail;
  return REPLIES.badSequence;
}
