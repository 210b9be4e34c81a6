/**
 * The built-in verbs (RFC 5321 §4.1.1 and the extensions Petrel implements) as a table: the
 * states each is accepted in, and what it does. Handlers decide replies; the session owns state
 * changes and I/O. A handler that must wait (STARTTLS, AUTH) returns a promise; the session
 * reads no further command until it settles.
 */
import { domainOf, type BodyType, type Recipient, type ReplyData, type SuppressionEntry } from '@petrel/core';
import { AUTH_MECHANISMS, type AuthMechanism } from './auth.js';
import { parseEnvid, parseNotify, parseOrcpt, parseRet } from './dsn-params.js';
import { isAscii, parsePathArgs, type PathError } from './path-args.js';
import { REPLIES, replyFor } from './replies.js';
import type { SessionSettings } from './settings.js';
import { COMMAND_STATES, type CommandState } from './states.js';
import { hasRecipients, type Transaction } from './transaction.js';
import type { InboundPolicy, PolicySessionInfo, PolicyVerdict } from './policy-hooks.js';

/** What a verb handler may do to its session. */
export interface CommandSession {
  readonly state: CommandState;
  readonly settings: SessionSettings;
  readonly client: { readonly address: string; readonly port: number };
  readonly esmtp: boolean;
  readonly tx: Transaction | undefined;
  /** TLS is on (after STARTTLS). */
  readonly secure: boolean;
  /** The user of a successful AUTH, if any. */
  readonly authUser: string | undefined;
  reply(r: ReplyData): void;
  /** Replies and publishes `message.rejected`. */
  refuse(r: ReplyData, about?: { sender?: string; recipient?: string }): void;
  greet(helo: string, esmtp: boolean): void;
  startTransaction(tx: Transaction): void;
  addRecipient(r: Recipient): void;
  /** One more RCPT refused past max_recipients; past recipient_overshoot_limit it counts as an error. */
  recipientOvershoot(): void;
  beginData(): void;
  /** The next `size` octets are a chunk of this message; `last` ends it (RFC 3030). */
  beginChunk(size: number, last: boolean): void;
  /** Drops the next `size` octets: a BDAT refused before its chunk was read. */
  skipChunk(size: number): void;
  reset(): void;
  quit(): void;
  /** Replies and closes: the session cannot go on. */
  drop(r: ReplyData): void;
  ehloKeywords(): string[];
  verbs(): string[];
  /** A STARTTLS certificate is loaded. */
  tlsAvailable(): boolean;
  startTls(): Promise<void>;
  /** An AUTH users file is loaded. */
  authAvailable(): boolean;
  /** This client's address has too many recent AUTH failures. */
  authBlocked(): boolean;
  beginAuth(mechanism: AuthMechanism, initial: string | undefined): Promise<void> | undefined;
  /** This session's policy snapshot, taken at connect. */
  readonly policy: InboundPolicy | undefined;
  policyInfo(): PolicySessionInfo;
  /** The suppression entry of a recipient, when the daemon has a suppression list (else undefined). */
  suppression(address: string): Promise<SuppressionEntry | null> | undefined;
  /** Applies a hook's verdict: refuse with its reply, or `go` on; nothing once the session closed. */
  afterPolicy(
    verdict: PolicyVerdict,
    about: { sender?: string; recipient?: string },
    go: () => void,
  ): Promise<void> | undefined;
}

export interface VerbSpec {
  readonly states: readonly CommandState[];
  /** Refusals of this verb are published as rejections (MAIL, RCPT, DATA, BDAT). */
  readonly transactional: boolean;
  readonly run: (s: CommandSession, args: string) => Promise<void> | undefined | void;
}

const ANY = COMMAND_STATES;

/** AUTH is offered once TLS is on, or before it when auth_allow_plaintext (RFC 4954 §4, §14). */
function authOffered(s: CommandSession): boolean {
  return s.authAvailable() && (s.secure || s.settings.authAllowPlaintext);
}

function ehlo(s: CommandSession, args: string, esmtp: boolean): Promise<void> | void {
  const name = args.trim();
  if (name === '' || /\s/.test(name)) return s.reply(esmtp ? REPLIES.ehloSyntax : REPLIES.heloSyntax);
  // Policy hook (Momentum validate_ehlo): a refusal leaves the session un-greeted.
  const hook = s.policy?.ehlo;
  if (hook) return s.afterPolicy(hook(s.policyInfo(), name, esmtp), {}, () => greeted(s, name, esmtp));
  greeted(s, name, esmtp);
}

function greeted(s: CommandSession, name: string, esmtp: boolean): void {
  s.greet(name, esmtp);
  const { hostname, maxMessageSize } = s.settings;
  if (!esmtp) {
    s.reply(replyFor.helo(hostname));
    return;
  }
  s.reply(
    replyFor.ehlo(hostname, [
      'PIPELINING', // RFC 2920
      `SIZE ${maxMessageSize}`, // RFC 1870
      '8BITMIME', // RFC 6152
      'SMTPUTF8', // RFC 6531
      'ENHANCEDSTATUSCODES', // RFC 2034
      'DSN', // RFC 3461
      'CHUNKING', // RFC 3030
      'BINARYMIME', // RFC 3030
      // RFC 3207 §4.2: not offered again once TLS is on.
      ...(s.tlsAvailable() && !s.secure ? ['STARTTLS'] : []),
      ...(authOffered(s) ? [`AUTH ${AUTH_MECHANISMS.join(' ')}`] : []),
      ...s.ehloKeywords(),
    ]),
  );
}

const PATH_ERRORS: Record<'MAIL' | 'RCPT', Record<PathError, ReplyData>> = {
  MAIL: { syntax: REPLIES.mailSyntax, address: REPLIES.badSender, 'duplicate-param': REPLIES.duplicateParam },
  RCPT: { syntax: REPLIES.rcptSyntax, address: REPLIES.badRecipient, 'duplicate-param': REPLIES.duplicateParam },
};

/** Relay policy: relay_networks, or an authenticated user from anywhere. */
function mayRelay(s: CommandSession): boolean {
  return s.authUser !== undefined || s.settings.relay.has(s.client.address);
}

function mail(s: CommandSession, args: string): Promise<void> | void {
  const parsed = parsePathArgs(args, 'FROM:');
  if (!parsed.ok) return s.refuse(PATH_ERRORS.MAIL[parsed.error]);
  const { address, params } = parsed.value;
  const about = { sender: address };
  // RFC 5321 §4.1.1.11 / §2.2.2: MAIL parameters only exist after EHLO.
  if (!s.esmtp && params.size > 0) return s.refuse(replyFor.unknownParam([...params.keys()].join(' ')), about);
  let bodyType: BodyType | undefined;
  let declaredSize: number | undefined;
  let smtputf8 = false;
  let ret: 'FULL' | 'HDRS' | undefined;
  let envid: string | undefined;
  for (const [name, value] of params) {
    switch (name) {
      case 'SIZE': // RFC 1870 §6: refuse at MAIL a size above the fixed limit
        if (value === undefined || !/^\d{1,20}$/.test(value)) return s.refuse(REPLIES.badParamValue, about);
        declaredSize = Number(value);
        if (declaredSize > s.settings.maxMessageSize) return s.refuse(REPLIES.sizeExceeded, about);
        break;
      case 'BODY': {
        // RFC 6152 §3, RFC 3030 §3: 7BIT, 8BITMIME, or BINARYMIME (which then needs BDAT).
        const v = value?.toUpperCase();
        if (v !== '7BIT' && v !== '8BITMIME' && v !== 'BINARYMIME') return s.refuse(REPLIES.badParamValue, about);
        bodyType = v;
        break;
      }
      case 'SMTPUTF8': // RFC 6531 §3.4: a keyword without value
        if (value !== undefined) return s.refuse(REPLIES.badParamValue, about);
        smtputf8 = true;
        break;
      case 'RET':
        ret = parseRet(value);
        if (!ret) return s.refuse(REPLIES.badParamValue, about);
        break;
      case 'ENVID':
        envid = parseEnvid(value);
        if (envid === undefined) return s.refuse(REPLIES.badParamValue, about);
        break;
      case 'AUTH':
        // RFC 4954 §5: AUTH=<mailbox> names the original submitter; Petrel trusts only its own
        // AUTH, so the value is accepted (Postfix sends it) and not used.
        if (value === undefined) return s.refuse(REPLIES.badParamValue, about);
        break;
      default:
        return s.refuse(replyFor.unknownParam(name), about);
    }
  }
  if (!smtputf8 && !isAscii(address)) return s.refuse(REPLIES.needSmtputf8, about);
  // A local-domain sender from a client that may not relay is forged: refuse it at once.
  if (address !== '' && s.settings.localDomains.has(domainOf(address)) && !mayRelay(s))
    return s.refuse(REPLIES.senderNeedsAuth, about);
  const tx: Transaction = {
    sender: address,
    recipients: [],
    smtputf8,
    ...(bodyType !== undefined ? { bodyType } : {}),
    ...(declaredSize !== undefined ? { declaredSize } : {}),
    ...(ret !== undefined ? { ret } : {}),
    ...(envid !== undefined ? { envid } : {}),
  };
  const start = (): void => {
    s.startTransaction(tx);
    s.reply(REPLIES.senderOk);
  };
  // Policy hook (Momentum validate_mailfrom), after Petrel's own checks.
  const hook = s.policy?.mailFrom;
  if (hook) return s.afterPolicy(hook(s.policyInfo(), address, params), about, start);
  start();
}

function rcpt(s: CommandSession, args: string): Promise<void> | void {
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
  if (!s.esmtp && params.size > 0) return s.refuse(replyFor.unknownParam([...params.keys()].join(' ')), about(address));
  let notify: string[] | undefined;
  let orcpt: string | undefined;
  for (const [name, value] of params) {
    if (name === 'NOTIFY') {
      notify = parseNotify(value);
      if (!notify) return s.refuse(REPLIES.badParamValue, about(address));
    } else if (name === 'ORCPT') {
      orcpt = parseOrcpt(value, tx?.smtputf8 ?? false);
      if (orcpt === undefined) return s.refuse(REPLIES.badParamValue, about(address));
    } else {
      return s.refuse(replyFor.unknownParam(name), about(address));
    }
  }
  if (!tx?.smtputf8 && !isAscii(address)) return s.refuse(REPLIES.needSmtputf8, about(address));
  const domain = domainOf(address);
  if (s.settings.localDomains.has(domain)) return s.refuse(replyFor.localDomain(address), about(address));
  // A return-path domain takes bounces and complaints from the whole internet: like a local
  // domain, not relaying (docs/feedback-loop.md); it is parsed, never relayed.
  const inbound = s.settings.returnPathDomains.has(domain);
  if (!inbound && !mayRelay(s)) return s.refuse(replyFor.relayDenied(address), about(address));
  if (tx && hasRecipients(tx) && (tx.inbound ?? false) !== inbound)
    return s.refuse(replyFor.separateInbound(), about(address));
  // RFC 5321 §4.5.3.1.10: 452 (not 5xx) so the client sends the rest in another transaction.
  if ((tx?.recipients.length ?? 0) + (tx?.suppressed?.length ?? 0) >= s.settings.maxRecipients) {
    s.refuse(REPLIES.tooManyRecipients, about(address));
    return s.recipientOvershoot();
  }
  const add = (): void => {
    if (tx && inbound) tx.inbound = true;
    s.addRecipient({
      address,
      domain,
      ...(notify !== undefined ? { notify } : {}),
      ...(orcpt !== undefined ? { orcpt } : {}),
    });
    s.reply(REPLIES.recipientOk);
  };
  const policy = (): Promise<void> | undefined => {
    // Policy hook (Momentum validate_rcptto / each_rcpt), once per recipient that passed the checks above.
    const hook = s.policy?.rcptTo;
    if (hook) {
      const accepted = tx ? tx.recipients.map((r) => r.address) : [];
      return s.afterPolicy(
        hook(s.policyInfo(), { sender: sender ?? '', recipient: address, domain, accepted, params }),
        about(address),
        add,
      );
    }
    add();
    return undefined;
  };
  const check = inbound ? undefined : s.suppression(address);
  if (!check) return policy();
  return check.then(
    (entry) => {
      if (!entry) return policy();
      if (s.settings.suppressionAction === 'refuse') return s.refuse(replyFor.suppressed(address), about(address));
      // accept_and_fail: the client is told 250; the recipient is failed as class 25 after DATA.
      if (tx) {
        tx.suppressed ??= [];
        tx.suppressed.push({ address, entry });
      }
      s.reply(REPLIES.recipientOk);
      return undefined;
    },
    () => s.refuse(REPLIES.localError, about(address)),
  );
}

function data(s: CommandSession, args: string): void {
  const about = s.tx ? { sender: s.tx.sender } : {};
  if (args.trim() !== '') {
    s.refuse(REPLIES.dataSyntax, about);
    return;
  }
  // RFC 5321 §3.3: DATA needs at least one accepted recipient; 503 otherwise.
  if (!hasRecipients(s.tx)) {
    s.refuse(REPLIES.needRcpt, about);
    return;
  }
  // RFC 3030 §3: a BINARYMIME message can only be sent with BDAT.
  if (s.tx?.bodyType === 'BINARYMIME') {
    s.refuse(REPLIES.bdatNeedsBdat, about);
    return;
  }
  s.reply(REPLIES.startData);
  s.beginData();
}

function bdat(s: CommandSession, args: string): void {
  const m = /^(\d{1,15})(?: +(LAST))? *$/i.exec(args);
  if (!m) {
    // Without a valid size the chunk's end is unknown: its octets would be read as commands,
    // so the session cannot continue (Postfix does the same).
    s.drop(REPLIES.bdatSyntax);
    return;
  }
  const size = Number(m[1]);
  const last = m[2] !== undefined;
  const tx = s.tx;
  const about = tx ? { sender: tx.sender } : {};
  const ok = (s.state === 'awaiting rcptto' || s.state === 'awaiting bdat') && tx !== undefined && hasRecipients(tx);
  if (!ok) {
    // RFC 3030 §2: the chunk follows the command regardless; it is read and dropped.
    s.skipChunk(size);
    s.refuse(s.state === 'awaiting ehlo/helo' ? REPLIES.needHelo : !tx ? REPLIES.needMail : REPLIES.needRcpt, about);
    return;
  }
  s.beginChunk(size, last);
}

function starttls(s: CommandSession, args: string): Promise<void> | undefined {
  if (!s.tlsAvailable()) return void s.reply(REPLIES.unknownCommand);
  if (args.trim() !== '') return void s.reply(REPLIES.starttlsSyntax);
  if (s.secure) return void s.reply(REPLIES.tlsActive);
  s.reply(REPLIES.readyTls);
  return s.startTls();
}

function auth(s: CommandSession, args: string): Promise<void> | undefined {
  if (!s.authAvailable()) return void s.reply(REPLIES.unknownCommand);
  if (s.state === 'awaiting ehlo/helo') return void s.reply(REPLIES.needHelo);
  // RFC 4954 §4: AUTH is not permitted during a mail transaction, nor twice.
  if (s.tx) return void s.reply(REPLIES.authInTransaction);
  if (s.authUser !== undefined) return void s.reply(REPLIES.authAlready);
  if (s.authBlocked()) return void s.drop(REPLIES.authTooManyFailures);
  if (!s.secure && !s.settings.authAllowPlaintext) return void s.refuse(REPLIES.authNeedsTls);
  const m = /^([A-Za-z0-9_-]+)(?: +(\S+))?$/.exec(args.trim());
  if (!m) return void s.reply(REPLIES.authSyntax);
  const mech = m[1]!.toUpperCase();
  if (!(AUTH_MECHANISMS as readonly string[]).includes(mech)) return void s.reply(REPLIES.authMechanism);
  return s.beginAuth(mech as AuthMechanism, m[2]);
}

export const BUILTIN_VERBS: ReadonlyMap<string, VerbSpec> = new Map<string, VerbSpec>([
  // RFC 5321 §4.1.4: EHLO/HELO may come again at any time and reset the transaction.
  ['EHLO', { states: ANY, transactional: false, run: (s, a) => ehlo(s, a, true) }],
  ['HELO', { states: ANY, transactional: false, run: (s, a) => ehlo(s, a, false) }],
  ['MAIL', { states: ['awaiting mailfrom'], transactional: true, run: mail }],
  ['RCPT', { states: ['awaiting rcptto'], transactional: true, run: rcpt }],
  ['DATA', { states: ['awaiting rcptto'], transactional: true, run: data }],
  // Any state: a refused BDAT still has its chunk read (and dropped) so it is never taken as commands.
  ['BDAT', { states: ANY, transactional: true, run: bdat }],
  ['STARTTLS', { states: ['awaiting mailfrom'], transactional: false, run: starttls }],
  ['AUTH', { states: ANY, transactional: false, run: auth }],
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
  if (verb === 'DATA' && state === 'awaiting bdat') return REPLIES.dataAfterBdat;
  return REPLIES.badSequence;
}
