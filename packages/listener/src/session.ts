/**
 * One inbound SMTP connection: a state machine over the states of states.ts. Input is pulled
 * from WireReader one item at a time, so pipelined commands run strictly in order; replies are
 * queued and written together once the available input is used up or before waiting on
 * something (RFC 2920 §3.1: one write per batch, never a reply held while blocking).
 */
import type { Socket } from 'node:net';
import {
  newMessageId,
  type Recipient,
  type ReplyData,
  type StoreRequest,
  type SuppressionEntry,
  type TimerHandle,
} from '@petrel/core';
import { MAX_SASL_LINE, type AuthMechanism } from './auth.js';
import { AuthFlow } from './auth-flow.js';
import { BdatBody } from './bdat.js';
import { BUILTIN_VERBS, sequenceReply, type CommandSession } from './commands.js';
import type { DataResult } from './data-decoder.js';
import { DEFAULT_EXTENSION_STATES } from './extensions.js';
import { countReceived } from './hops.js';
import type { TlsInfo } from './received.js';
import { REPLIES, replyFor, toWire } from './replies.js';
import { upgradeToTls } from './tls-context.js';
import type { SessionHost } from './session-host.js';
export type { MutableStats, SessionHost } from './session-host.js';
import type { SessionSettings } from './settings.js';
import { checkTransition, isCommandState, type CommandState, type ServerState } from './states.js';
import { buildStoreRequest, type Transaction } from './transaction.js';
import { WireReader, type CommandLine } from './wire-reader.js';
import type { InboundPolicy, PolicySessionInfo, PolicyVerdict } from './policy-hooks.js';
import type { MessageSigner, SignResult } from './signing-hook.js';

/** Commands that move no mail; see junk_command_limit. */
const JUNK_VERBS: ReadonlySet<string> = new Set(['NOOP', 'RSET', 'VRFY']);

/** After our FIN, a client that does not close is dropped after this long. */
const LINGER_MS = 5_000;

export class Session implements CommandSession {
  private current: ServerState = 'just connected';
  readonly client: { readonly address: string; readonly port: number };
  helo: string | undefined;
  esmtp = false;
  tx: Transaction | undefined;
  authUser: string | undefined;
  private tls: TlsInfo | undefined;
  private socket: Socket;
  private readonly reader: WireReader;
  private out = '';
  private errors = 0;
  /** NOOP/RSET/VRFY so far: commands that move no mail (Postfix's "junk commands"). */
  private junk = 0;
  /** RCPTs of this transaction refused with 452 past max_recipients. */
  private overshoot = 0;
  private running = false;
  private waiting = false;
  private writeBlocked = false;
  /**
   * The client sent its FIN (a half-close): it has nothing more to say but still reads. Exim
   * pipelines QUIT after the last BDAT or the end of DATA and then shuts its side down; the
   * replies it waits for must still be sent before the session ends.
   */
  private inputEnded = false;
  private shuttingDown = false;
  private idleTimer: TimerHandle | undefined;
  private greetTimer: TimerHandle | undefined;
  private readonly auth: AuthFlow;
  private chunk: { size: number; last: boolean } | undefined;
  private readonly onDataBound = (chunk: Buffer): void => this.onData(chunk);
  private readonly onDrainBound = (): void => {
    this.writeBlocked = false;
    this.updateFlow();
    void this.pump();
  };
  private readonly onEndBound = (): void => {
    this.inputEnded = true;
    if (this.current === 'sending banner') this.close();
    else void this.pump();
  };
  private markClosed!: () => void;
  /** Policy snapshot taken at connect: a reload does not change a session in flight. */
  readonly policy: InboundPolicy | undefined;
  /** Resolves once the socket is closed. */
  readonly closed: Promise<void>;

  constructor(
    socket: Socket,
    private readonly host: SessionHost,
    readonly connectionId: string,
  ) {
    this.socket = socket;
    this.client = { address: normalizeAddress(socket.remoteAddress ?? ''), port: socket.remotePort ?? 0 };
    const s = host.settings;
    this.reader = new WireReader({
      maxLine: s.maxLine,
      maxSaslLine: MAX_SASL_LINE,
      maxData: s.maxMessageSize,
      maxDataLine: s.maxDataLine,
      normalizeBareLf: s.normalizeBareLf,
    });
    this.closed = new Promise((resolve) => (this.markClosed = resolve));
    this.policy = host.policy?.();
    this.attach(socket);
    this.auth = new AuthFlow({
      reply: (r) => this.reply(r),
      refuse: (r) => this.refuse(r),
      drop: (r) => this.drop(r),
      enter: (state) => {
        if (this.current !== state) this.enter(state);
      },
      inExchange: () => this.current === 'awaiting auth response',
      closed: () => this.isClosed,
      authenticated: (user) => (this.authUser = user),
      users: () => host.users(),
      attempt: () => host.authLimiter.begin(this.client.address, host.clock.now()),
      settle: (user, failed) => {
        if (failed) host.logger.info({ connectionId, client: this.client.address, user }, 'AUTH failed');
        return host.authLimiter.end(this.client.address, host.clock.now(), failed);
      },
    });
  }

  get state(): CommandState {
    // Verb handlers only ever run in a command state (see dispatch()).
    return this.current as CommandState;
  }

  get serverState(): ServerState {
    return this.current;
  }

  get secure(): boolean {
    return this.tls !== undefined;
  }

  /** A getter, so that TypeScript does not narrow the state across awaits in pump(). */
  private get isClosed(): boolean {
    return this.current === 'closed';
  }

  get settings(): SessionSettings {
    return this.host.settings;
  }

  /** Greets the client, or refuses it (limits) with `refusal` and closes. */
  open(refusal?: ReplyData): void {
    if (refusal) {
      this.enter('concurrency limit');
      this.refuse(refusal);
      this.close();
      return;
    }
    this.enter('sending banner');
    // Policy hook (Momentum validate_connect): before the banner; a refusal replaces it.
    const connect = this.policy?.connect;
    if (connect) return void this.policyConnect(connect(this.policyInfo()));
    this.banner();
  }

  private async policyConnect(verdict: PolicyVerdict): Promise<void> {
    this.armIdle();
    const r = verdict instanceof Promise ? await verdict.catch(() => REPLIES.localError) : verdict;
    // Closed, shut down or an early talker meanwhile: nothing more to say.
    if (this.current !== 'sending banner') return;
    if (!r) return this.banner();
    this.refuse(r);
    this.close();
  }

  private banner(): void {
    const delay = this.settings.greetingDelay;
    if (delay <= 0) {
      this.greeting();
      return;
    }
    // Early-talker check: a client that sends before the 220 is not a real MTA (Postfix postscreen).
    this.greetTimer = this.host.clock.setTimer(delay, () => this.greeting());
    this.armIdle();
  }

  private greeting(): void {
    if (this.current !== 'sending banner') return;
    this.reply(replyFor.greeting(this.settings.hostname));
    this.enter('awaiting ehlo/helo');
    this.flush();
    this.armIdle();
    if (this.reader.buffered > 0) void this.pump();
  }

  /** Graceful stop: idle sessions get 421 now, a message in flight first gets its reply. */
  shutdown(): void {
    this.shuttingDown = true;
    if (this.current === 'sending banner') {
      this.reply(REPLIES.shuttingDown);
      this.close();
      return;
    }
    void this.pump();
  }

  /** Drops the connection at once (stop deadline). */
  destroy(): void {
    this.socket.destroy();
  }

  // ---- CommandSession -------------------------------------------------------------------

  reply(r: ReplyData): void {
    if (r.code >= 500) this.errors++;
    this.out += toWire(r);
  }

  refuse(r: ReplyData, about: { sender?: string; recipient?: string } = {}, phase: ServerState = this.current): void {
    this.reply(r);
    this.host.stats.rejections++;
    this.host.bus.publish('message.rejected', {
      time: this.host.clock.now(),
      phase,
      reply: { code: r.code, lines: r.lines, ...(r.enhanced !== undefined ? { enhanced: r.enhanced } : {}) },
      client: this.client,
      connectionId: this.connectionId,
      ...(this.socket.localAddress !== undefined ? { localAddress: normalizeAddress(this.socket.localAddress) } : {}),
      ...(this.helo !== undefined ? { helo: this.helo } : {}),
      ...(about.sender !== undefined ? { sender: about.sender } : {}),
      ...(about.recipient !== undefined ? { recipient: about.recipient } : {}),
    });
  }

  greet(helo: string, esmtp: boolean): void {
    this.helo = helo;
    this.esmtp = esmtp;
    this.tx = undefined;
    this.enter('awaiting mailfrom');
  }

  startTransaction(tx: Transaction): void {
    this.tx = tx;
    this.overshoot = 0;
    this.enter('awaiting rcptto');
  }

  addRecipient(r: Recipient): void {
    this.tx?.recipients.push(r);
  }

  recipientOvershoot(): void {
    // A 4xx is not an error by itself (the client should send the rest in another transaction,
    // RFC 5321 §4.5.3.1.10), but one that keeps sending RCPTs is: past the overshoot limit each
    // counts towards max_errors (Postfix smtpd_recipient_overshoot_limit).
    if (++this.overshoot > this.settings.recipientOvershootLimit) this.errors++;
  }

  beginData(): void {
    this.enter('reading body');
    this.reader.beginData();
  }

  beginChunk(size: number, last: boolean): void {
    const tx = this.tx;
    if (tx && !tx.bdat)
      tx.bdat = new BdatBody(this.settings.maxMessageSize, this.settings.maxDataLine, tx.bodyType === 'BINARYMIME');
    this.chunk = { size, last };
    this.enter('reading chunk');
    this.reader.beginChunk(size);
  }

  skipChunk(size: number): void {
    this.reader.skip(size);
  }

  reset(): void {
    this.tx = undefined;
    this.enter(this.helo === undefined ? 'awaiting ehlo/helo' : 'awaiting mailfrom');
  }

  quit(): void {
    this.reply(REPLIES.bye);
    this.close({ quit: true });
  }

  drop(r: ReplyData): void {
    this.refuse(r);
    this.close();
  }

  ehloKeywords(): string[] {
    return this.host.extensions.keywords();
  }

  verbs(): string[] {
    return [...BUILTIN_VERBS.keys(), ...this.host.extensions.verbs()];
  }

  tlsAvailable(): boolean {
    return this.host.tlsContext() !== undefined;
  }

  authAvailable(): boolean {
    return this.host.users() !== undefined;
  }

  authBlocked(): boolean {
    return this.host.authLimiter.blocked(this.client.address, this.host.clock.now());
  }

  /** RFC 3207: the 220 is queued; flush it, forget cleartext input, then handshake. */
  async startTls(): Promise<void> {
    const context = this.host.tlsContext();
    if (!context) return;
    this.enter('starting tls');
    this.flush();
    // RFC 3207 §5 (CVE-2011-0411): octets pipelined after STARTTLS came in clear; never run them.
    this.reader.discardBuffered();
    const raw = this.socket;
    raw.off('data', this.onDataBound);
    raw.off('drain', this.onDrainBound);
    const up = await upgradeToTls(raw, context, this.settings.idleTimeout, this.host.clock);
    if ('error' in up) {
      this.host.logger.debug({ err: up.error, connectionId: this.connectionId }, 'STARTTLS handshake failed');
      return;
    }
    if (this.isClosed) return void up.socket.destroy();
    this.socket = up.socket;
    this.attach(up.socket);
    this.tls = up.info;
    // RFC 3207 §4.2: the server forgets everything learnt before TLS, EHLO included.
    this.helo = undefined;
    this.esmtp = false;
    this.tx = undefined;
    this.enter('awaiting ehlo/helo');
  }

  beginAuth(mechanism: AuthMechanism, initial: string | undefined): Promise<void> | undefined {
    return this.auth.begin(mechanism, initial);
  }

  suppression(address: string): Promise<SuppressionEntry | null> | undefined {
    const bus = this.host.bus;
    return bus.hasHandler('suppression.check') ? bus.request('suppression.check', { address }) : undefined;
  }

  // ---- policy hooks ---------------------------------------------------------------------

  policyInfo(): PolicySessionInfo {
    const local = this.socket.localAddress;
    return {
      connectionId: this.connectionId,
      client: this.client,
      ...(local !== undefined ? { localAddress: normalizeAddress(local) } : {}),
      ...(this.helo !== undefined ? { helo: this.helo } : {}),
      esmtp: this.esmtp,
      tls: this.tls !== undefined,
      ...(this.authUser !== undefined ? { authUser: this.authUser } : {}),
    };
  }

  afterPolicy(
    verdict: PolicyVerdict,
    about: { sender?: string; recipient?: string },
    go: () => void,
  ): Promise<void> | undefined {
    if (!(verdict instanceof Promise)) {
      if (verdict !== undefined) this.refuse(verdict, about);
      else go();
      return undefined;
    }
    return verdict
      .catch(() => REPLIES.localError)
      .then((r) => {
        if (this.isClosed) return;
        if (r) this.refuse(r, about);
        else go();
      });
  }

  /** The data hook, then the store; the hook may refuse the message or replace its header section. */
  private async policyStore(tx: Transaction, parts: readonly Buffer[], phase: ServerState): Promise<void> {
    const hook = this.policy?.data;
    if (hook) {
      const r = await hook(this.policyInfo(), {
        sender: tx.sender,
        recipients: tx.recipients.map((x) => x.address),
        parts,
      }).catch(() => ({ reply: REPLIES.localError, parts: undefined }));
      if (r?.reply) return this.refuse(r.reply, { sender: tx.sender }, phase);
      if (r?.parts) parts = r.parts;
    }
    return this.store(tx, parts);
  }

  // ---- input loop -----------------------------------------------------------------------

  private attach(socket: Socket): void {
    socket.on('data', this.onDataBound);
    socket.on('drain', this.onDrainBound);
    socket.on('end', this.onEndBound);
    socket.on('error', (err) =>
      this.host.logger.debug({ err, connectionId: this.connectionId }, 'client socket error'),
    );
    socket.once('close', () => {
      this.host.clock.clearTimer(this.idleTimer);
      this.host.clock.clearTimer(this.greetTimer);
      if (this.current !== 'closed') this.enter('closed');
      this.markClosed();
    });
  }

  private onData(chunk: Buffer): void {
    if (this.current === 'closed') return;
    // In a command state partial input does not reset the idle timer: a command must be whole
    // within idle_timeout (RFC 5321 §4.5.3.2.7), or a slow-loris client could hold the session.
    if (!isCommandState(this.current)) this.host.clock.clearTimer(this.idleTimer);
    if (this.current === 'sending banner') {
      this.host.clock.clearTimer(this.greetTimer);
      this.refuse(REPLIES.earlyTalker);
      this.close();
      return;
    }
    this.reader.push(chunk);
    void this.pump();
  }

  /** Runs queued input until it is used up or the session waits; never two at once. */
  private async pump(): Promise<void> {
    if (this.running || this.current === 'closed' || this.current === 'sending banner') return;
    this.running = true;
    let progressed = false;
    try {
      while (!this.isClosed && !this.writeBlocked) {
        if (this.current === 'reading body') {
          const result = this.reader.readData();
          if (!result) break;
          await this.endOfData(result);
          continue;
        }
        if (this.current === 'reading chunk') {
          const data = this.reader.readChunk(this.tx?.bdat?.room ?? 0);
          if (!data) break;
          await this.endOfChunk(data);
          continue;
        }
        if (this.shuttingDown && isCommandState(this.current)) {
          this.reply(REPLIES.shuttingDown);
          this.close();
          break;
        }
        const line = this.reader.nextCommand(this.current === 'awaiting auth response');
        if (!line) break;
        progressed = true;
        const pending = this.current === 'awaiting auth response' ? this.auth.line(line) : this.dispatch(line);
        if (pending !== undefined) await this.wait(pending);
        if (this.errors >= this.settings.maxErrors && !this.isClosed) {
          // Postfix/Momentum practice: a client that keeps erring is dropped (RFC 5321 §4.1.1: 421).
          this.reply(replyFor.tooManyErrors(this.settings.hostname));
          this.close();
        }
      }
    } catch (err) {
      this.host.logger.error(
        { err, connectionId: this.connectionId },
        'listener session failed; dropping the connection',
      );
      this.socket.destroy();
    } finally {
      this.running = false;
      this.flush();
      // All the input there will ever be is used up (a half-closed client): the replies are
      // written, now end the session (a transaction cut off mid-body is dropped, never stored).
      if (this.inputEnded && !this.isClosed && !this.writeBlocked) this.close();
      else if (!this.isClosed && (progressed || !isCommandState(this.current))) this.armIdle();
    }
  }

  private dispatch(line: CommandLine): Promise<void> | undefined {
    if (line.kind === 'error') {
      this.reply(line.error === 'too-long' ? REPLIES.lineTooLong : REPLIES.bareEolCommand);
      return undefined;
    }
    const sp = line.text.indexOf(' ');
    const verb = (sp < 0 ? line.text : line.text.slice(0, sp)).toUpperCase();
    const args = sp < 0 ? '' : line.text.slice(sp + 1);
    const state = this.state;
    // Past junk_command_limit each NOOP/RSET/VRFY counts as an error, so max_errors ends a session
    // that only keeps itself alive (Postfix smtpd_junk_command_limit).
    if (JUNK_VERBS.has(verb) && ++this.junk > this.settings.junkCommandLimit) this.errors++;
    const builtin = BUILTIN_VERBS.get(verb);
    if (builtin) {
      if (!builtin.states.includes(state)) {
        const r = sequenceReply(verb, state);
        if (builtin.transactional) this.refuse(r, this.tx ? { sender: this.tx.sender } : {});
        else this.reply(r);
        return undefined;
      }
      return builtin.run(this, args) ?? undefined;
    }
    const ext = this.host.extensions.get(verb);
    if (!ext) {
      this.reply(REPLIES.unknownCommand);
      return undefined;
    }
    if (!(ext.states ?? DEFAULT_EXTENSION_STATES).includes(state)) {
      this.reply(sequenceReply(verb, state));
      return undefined;
    }
    const ctx = {
      state,
      connectionId: this.connectionId,
      client: this.client,
      helo: this.helo,
      sender: this.tx?.sender,
      recipients: [...(this.tx?.recipients ?? [])],
    };
    const failed = (err: unknown): void => {
      // A broken extension costs its command a 451, not the client its connection.
      this.host.logger.error({ err, verb, connectionId: this.connectionId }, 'SMTP extension failed');
      this.reply(REPLIES.localError);
    };
    try {
      const r = ext.handler(ctx, args);
      if (!(r instanceof Promise)) {
        this.reply(r);
        return undefined;
      }
      return r.then((reply) => this.reply(reply), failed);
    } catch (err) {
      failed(err);
      return undefined;
    }
  }

  // ---- message end -----------------------------------------------------------------------

  private async endOfChunk(data: Buffer): Promise<void> {
    const chunk = this.chunk!;
    this.chunk = undefined;
    const body = this.tx?.bdat;
    body?.add(data, chunk.size);
    if (chunk.last && body) return this.endOfData(body.result(), 'reading chunk');
    this.enter('awaiting bdat');
    // RFC 3030 §2: each chunk is answered; an oversize message is refused at once.
    if (body?.oversize) {
      this.refuse(REPLIES.sizeExceeded, this.tx ? { sender: this.tx.sender } : {});
      this.tx = undefined;
      this.enter('awaiting mailfrom');
      return;
    }
    this.reply(replyFor.chunkOk(chunk.size));
  }

  /** The end of one message's data: refuse it, or store it and answer only once it is durable. */
  private async endOfData(result: DataResult, phase: ServerState = 'reading body'): Promise<void> {
    const tx = this.tx;
    this.tx = undefined;
    this.enter('async body handler');
    const about = tx ? { sender: tx.sender } : {};
    if (result.bareEol) this.refuse(REPLIES.bareEolData, about, phase);
    else if (result.oversize) this.refuse(REPLIES.sizeExceeded, about, phase);
    else if (result.longLine) this.refuse(REPLIES.lineTooLongData, about, phase);
    else if (tx) {
      // DATA and BDAT LAST both end here: the loop check covers either, before any policy sees it.
      const hops = countReceived(result.parts);
      const limit = this.settings.hopcountLimit;
      if (hops > limit) this.refuse(replyFor.tooManyHops(hops, limit), about, phase);
      else
        await this.wait(this.policy?.data ? this.policyStore(tx, result.parts, phase) : this.store(tx, result.parts));
    }
    if (!this.isClosed) this.enter('awaiting mailfrom');
  }

  private async store(tx: Transaction, data: readonly Buffer[]): Promise<void> {
    const now = this.host.clock.now();
    const id = newMessageId(now);
    let request = buildStoreRequest(tx, data, {
      id,
      receivedAt: now,
      hostname: this.settings.hostname,
      traceHeader: this.settings.traceHeader,
      addMissingHeaders: this.settings.addMissingHeaders,
      client: { ...this.client, helo: this.helo ?? '' },
      esmtp: this.esmtp,
      ...(this.tls !== undefined ? { tls: this.tls } : {}),
      ...(this.authUser !== undefined ? { authUser: this.authUser } : {}),
    });
    // Mail to a return-path domain is read here, never delivered: nothing to sign.
    const signer = tx.inbound ? undefined : this.host.signer?.();
    if (signer) {
      const signed = await this.sign(signer, request);
      if ('reply' in signed) return this.refuse(signed.reply, { sender: tx.sender });
      request = signed;
    }
    try {
      const stored = tx.inbound
        ? await this.host.bus.request('inbound.receive', {
            sender: tx.sender,
            recipients: tx.recipients.map((r) => r.address),
            client: { address: this.client.address, ...(this.helo !== undefined ? { helo: this.helo } : {}) },
            body: request.body,
          })
        : tx.recipients.length > 0
          ? await this.host.bus.request('spool.store', request)
          : { id };
      this.enforceSuppression(tx, stored?.id || id, now);
      this.host.stats.messagesAccepted++;
      // A client that got a message through is working: forgive its errors and junk commands so
      // far (Postfix resets both after each message), or the RSET a client sends between messages
      // would end a long session at junk_command_limit + max_errors messages.
      this.errors = 0;
      this.junk = 0;
      this.reply(replyFor.queued(stored?.id || id));
    } catch (err) {
      // Whatever the spool's reason (PETREL_ERR_SPOOL_FULL, _WRITE, …) the client may retry: 452.
      this.host.logger.warn({ err, connectionId: this.connectionId, id }, 'spool.store failed; answered 452 4.3.1');
      this.refuse(REPLIES.storage, { sender: tx.sender });
    }
  }

  /** accept_and_fail: each suppressed recipient is failed now, as class 25 (the event log records it). */
  private enforceSuppression(tx: Transaction, messageId: string, now: number): void {
    for (const { address, entry } of tx.suppressed ?? []) {
      this.host.bus.publish('suppression.enforced', {
        time: now,
        messageId,
        sender: tx.sender,
        recipient: address,
        reply: replyFor.suppressed(address),
        entry,
        clientIp: this.client.address,
      });
    }
  }

  /** The signing hook on the message as stored: its header fields go on top; a broken signer answers 451 4.3.0. */
  private async sign(signer: MessageSigner, request: StoreRequest): Promise<StoreRequest | { reply: ReplyData }> {
    let r: SignResult;
    try {
      r = await signer({ session: this.policyInfo(), envelope: request.envelope, body: request.body });
    } catch (err) {
      this.host.logger.error(
        { err, connectionId: this.connectionId, id: request.envelope.id },
        'message signer failed',
      );
      return { reply: REPLIES.localError };
    }
    if (r === undefined) return request;
    if ('reply' in r) return r;
    const body = Buffer.concat([Buffer.from(r.prepend, 'latin1'), request.body]);
    return { envelope: { ...request.envelope, size: body.length }, body };
  }

  /** Flushes queued replies and stops reading while something asynchronous runs. */
  private async wait(p: Promise<void>): Promise<void> {
    this.flush();
    this.waiting = true;
    this.updateFlow();
    try {
      await p;
    } finally {
      this.waiting = false;
      this.updateFlow();
    }
  }

  // ---- output and lifecycle ---------------------------------------------------------------

  private flush(): void {
    if (this.out === '') return;
    const text = this.out;
    this.out = '';
    if (this.socket.destroyed || !this.socket.writable) return;
    if (!this.socket.write(text)) {
      this.writeBlocked = true;
      this.updateFlow();
    }
  }

  private updateFlow(): void {
    if (this.current === 'closed' || this.current === 'starting tls') return;
    if (this.waiting || this.writeBlocked) this.socket.pause();
    else this.socket.resume();
  }

  /**
   * Ends the session. After QUIT on plain TCP, once the 221 is with the kernel, the socket is
   * closed at once (RFC 5321 §4.1.1.10: reply 221, then close; Postfix's smtpd does the same): the
   * client has nothing more to say, and waiting for its close costs a shutdown(2), a wake-up and a
   * read per connection (with a client that resets, an errno exception with its stack too). Other
   * ends (421, errors) and TLS (its close_notify) send our FIN and let the client close first.
   */
  private close(how: { quit?: boolean } = {}): void {
    if (this.current === 'closed') return;
    this.flush();
    this.enter('closed');
    this.host.clock.clearTimer(this.idleTimer);
    this.host.clock.clearTimer(this.greetTimer);
    const socket = this.socket;
    if (how.quit && this.tls === undefined && socket.writableLength === 0) {
      socket.destroy();
      return;
    }
    socket.end();
    const linger = this.host.clock.setTimer(LINGER_MS, () => socket.destroy());
    void this.closed.then(() => this.host.clock.clearTimer(linger));
  }

  private armIdle(): void {
    this.host.clock.clearTimer(this.idleTimer);
    this.idleTimer = this.host.clock.setTimer(this.settings.idleTimeout, () => {
      if (this.current === 'closed') return;
      // Waiting on the spool or an extension is our delay, not the client's.
      if (this.running && !this.writeBlocked) return this.armIdle();
      // A client that does not read our replies cannot be told: drop it.
      if (this.writeBlocked) return void this.socket.destroy();
      this.reply(replyFor.timeout(this.settings.hostname));
      this.close();
    });
  }

  private enter(next: ServerState): void {
    checkTransition(this.current, next);
    this.current = next;
  }
}

/** "::ffff:127.0.0.1" (an IPv4 client on a dual-stack socket) is 127.0.0.1. */
function normalizeAddress(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : address;
}
