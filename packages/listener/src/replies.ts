/**
 * Every reply text the listener sends, in one table (STYLE.md §9: reply codes as data).
 * Texts are US-ASCII only (RFC 5321 §2.4): a test checks every entry.
 * RFC 2034 §3: enhanced status codes on every 2xx/4xx/5xx reply except the greeting and the
 * EHLO/HELO replies; 354 is an intermediate reply and carries none.
 */
import { SmtpReply, type ReplyData } from '@petrel/core';

const r = (code: number, enhanced: string | undefined, text: string): SmtpReply => new SmtpReply(code, text, enhanced);

export const REPLIES = {
  ok: r(250, '2.0.0', 'Ok'),
  senderOk: r(250, '2.1.0', 'Ok'),
  recipientOk: r(250, '2.1.5', 'Ok'),
  startData: r(354, undefined, 'End data with <CR><LF>.<CR><LF>'),
  bye: r(221, '2.0.0', 'Bye'),
  // RFC 5321 §3.5.3: 252 when the server will not verify but will accept the mail.
  vrfy: r(252, '2.5.0', 'Cannot VRFY user, but will accept message and attempt delivery'),
  unknownCommand: r(500, '5.5.2', 'Error: command not recognized'),
  lineTooLong: r(500, '5.5.2', 'Line too long'),
  bareEolCommand: r(500, '5.5.2', 'Bare <LF> or <CR> not allowed in a command (see RFC 5321 section 2.3.8)'),
  needHelo: r(503, '5.5.1', 'Error: send HELO/EHLO first'),
  needMail: r(503, '5.5.1', 'Error: need MAIL command'),
  needRcpt: r(503, '5.5.1', 'Error: need RCPT command'),
  nestedMail: r(503, '5.5.1', 'Error: nested MAIL command'),
  badSequence: r(503, '5.5.1', 'Error: bad sequence of commands'),
  ehloSyntax: r(501, '5.5.4', 'Syntax: EHLO hostname'),
  heloSyntax: r(501, '5.5.4', 'Syntax: HELO hostname'),
  mailSyntax: r(501, '5.5.4', 'Syntax: MAIL FROM:<address> [parameters]'),
  rcptSyntax: r(501, '5.5.4', 'Syntax: RCPT TO:<address> [parameters]'),
  dataSyntax: r(501, '5.5.4', 'Syntax: DATA'),
  noArgsSyntax: r(501, '5.5.4', 'Syntax: this command takes no arguments'),
  badParamValue: r(501, '5.5.4', 'Bad parameter value'),
  duplicateParam: r(501, '5.5.4', 'Duplicate parameter'),
  badSender: r(501, '5.1.7', 'Bad sender address syntax'),
  badRecipient: r(501, '5.1.3', 'Bad recipient address syntax'),
  // RFC 6531 §3.4: a non-ASCII address needs the SMTPUTF8 parameter on MAIL.
  needSmtputf8: r(553, '5.6.7', 'Non-ASCII address requires SMTPUTF8'),
  sizeExceeded: r(552, '5.3.4', 'Message size exceeds fixed limit'),
  bareEolData: r(554, '5.5.2', 'Bare <LF> or <CR> not allowed (see RFC 5321 section 2.3.8)'),
  tooManyRecipients: r(452, '4.5.3', 'Error: too many recipients'),
  storage: r(452, '4.3.1', 'Insufficient system storage'),
  tooManyConnections: r(421, '4.7.0', 'Too many connections'),
  shuttingDown: r(421, '4.3.2', 'Service shutting down'),
  localError: r(451, '4.3.0', 'Error: local error in processing'),
  // RFC 3207 §4: 220 then the handshake; 454 when TLS is not available now.
  readyTls: r(220, '2.0.0', 'Ready to start TLS'),
  tlsActive: r(503, '5.5.1', 'Error: TLS already active'),
  tlsUnavailable: r(454, '4.7.0', 'TLS not available due to temporary reason'),
  starttlsSyntax: r(501, '5.5.4', 'Syntax: STARTTLS'),
  // RFC 4954 §6 reply codes.
  authOk: r(235, '2.7.0', 'Authentication successful'),
  authFailed: r(535, '5.7.8', 'Error: authentication failed'),
  authNeedsTls: r(538, '5.7.11', 'Encryption required for requested authentication mechanism'),
  authCancelled: r(501, '5.0.0', 'Authentication cancelled'),
  authBadBase64: r(501, '5.5.2', 'Cannot decode response'),
  authSyntax: r(501, '5.5.4', 'Syntax: AUTH mechanism [initial-response]'),
  authMechanism: r(504, '5.5.4', 'Unrecognized authentication type'),
  authAlready: r(503, '5.5.1', 'Error: already authenticated'),
  authInTransaction: r(503, '5.5.1', 'Error: MAIL transaction in progress'),
  authTooManyFailures: r(421, '4.7.0', 'Error: too many authentication failures; try again later'),
  // RFC 3030.
  bdatSyntax: r(501, '5.5.4', 'Syntax: BDAT chunk-size [LAST]'),
  bdatNeedsBdat: r(503, '5.5.1', 'Error: BINARYMIME requires BDAT (RFC 3030)'),
  dataAfterBdat: r(503, '5.5.1', 'Error: DATA after BDAT'),
  // RFC 5322 §2.1.1 caps a line at 998 characters; Petrel refuses rather than folds, because
  // rewriting the body would break DKIM signatures. 5.6.0: a content (media) error.
  lineTooLongData: r(554, '5.6.0', 'Message has a line longer than 998 characters (RFC 5322 section 2.1.1)'),
  earlyTalker: r(554, '5.5.1', 'Error: talked before the greeting'),
  senderNeedsAuth: r(553, '5.7.1', 'Sender address in a local domain requires authentication'),
} as const satisfies Record<string, SmtpReply>;

export const replyFor = {
  greeting: (hostname: string): SmtpReply => r(220, undefined, `${hostname} ESMTP Petrel`),
  ehlo: (hostname: string, keywords: readonly string[]): SmtpReply => new SmtpReply(250, [hostname, ...keywords]),
  helo: (hostname: string): SmtpReply => r(250, undefined, hostname),
  help: (verbs: readonly string[]): SmtpReply => r(214, '2.0.0', `Commands: ${verbs.join(' ')}`),
  queued: (id: string): SmtpReply => r(250, '2.0.0', `Ok: queued as ${id}`),
  relayDenied: (address: string): SmtpReply => r(554, '5.7.1', `<${address}>: Relaying denied`),
  /** A recipient on the suppression list (docs/feedback-loop.md). */
  suppressed: (address: string): SmtpReply => r(550, '5.7.1', `<${address}>: recipient suppressed`),
  /** RFC 5321 §4.5.3.1.10: the client sends the other kind of recipient in its next transaction. */
  separateInbound: (): SmtpReply =>
    r(452, '4.5.3', 'Error: return-path and relay recipients go in separate transactions'),
  unknownParam: (name: string): SmtpReply => r(555, '5.5.4', `Unsupported parameter: ${name}`),
  timeout: (hostname: string): SmtpReply => r(421, '4.4.2', `${hostname} Error: timeout exceeded`),
  tooManyErrors: (hostname: string): SmtpReply => r(421, '4.7.0', `${hostname} Error: too many errors`),
  tooManyFromIp: (address: string): SmtpReply => r(421, '4.7.0', `Too many connections from ${address}`),
  localDomain: (address: string): SmtpReply =>
    r(550, '5.1.2', `<${address}>: Petrel is an outbound-only MTA and accepts no mail for local domains`),
  // RFC 5321 §6.3, RFC 3463 §3.5 (5.4.6 routing loop detected).
  tooManyHops: (count: number, limit: number): SmtpReply =>
    r(554, '5.4.6', `Too many hops (${count} > ${limit}): mail loop?`),
  chunkOk: (size: number): SmtpReply => r(250, '2.0.0', `Ok: ${size} octets received`),
  authChallenge: (b64: string): SmtpReply => new SmtpReply(334, [b64]),
};

/** The reply as wire text: "250-first", …, "250 last", each line CRLF-terminated (RFC 5321 §4.2.1). */
export function toWire(reply: ReplyData): string {
  const prefix = reply.enhanced ? `${reply.enhanced} ` : '';
  const lines = reply.lines.length > 0 ? reply.lines : [''];
  let out = '';
  for (let i = 0; i < lines.length; i++) {
    out += `${reply.code}${i < lines.length - 1 ? '-' : ' '}${prefix}${lines[i]}\r\n`;
  }
  return out;
}
