/**
 * One session's AUTH exchange (RFC 4954 §4): challenges, the client's responses, the password
 * check and what a failure costs. The session lends it a narrow set of callbacks.
 */
import type { ReplyData } from '@petrel/core';
import { SaslExchange, type AuthMechanism, type SaslStep } from './auth.js';
import type { UserDb } from './passwords.js';
import { REPLIES, replyFor } from './replies.js';
import type { CommandLine } from './wire-reader.js';

export interface AuthFlowHost {
  reply(r: ReplyData): void;
  /** Replies and publishes the rejection. */
  refuse(r: ReplyData): void;
  /** Refuses and closes. */
  drop(r: ReplyData): void;
  enter(state: 'awaiting auth response' | 'awaiting mailfrom'): void;
  inExchange(): boolean;
  closed(): boolean;
  authenticated(user: string): void;
  users(): UserDb | undefined;
  /** Reserves a password check for the client's address; false when its AUTH limit is reached. */
  attempt(): boolean;
  /** Ends a reserved check (a failure is recorded); true when the client's address is now blocked. */
  settle(user: string, failed: boolean): boolean;
}

export class AuthFlow {
  private sasl: SaslExchange | undefined;

  constructor(private readonly host: AuthFlowHost) {}

  /** The AUTH command (already checked: TLS, state, mechanism). */
  begin(mechanism: AuthMechanism, initial: string | undefined): Promise<void> | undefined {
    this.sasl = new SaslExchange(mechanism);
    return this.step(this.sasl.start(initial));
  }

  /** A line read in 'awaiting auth response'. */
  line(line: CommandLine): Promise<void> | undefined {
    const sasl = this.sasl;
    if (!sasl || line.kind === 'error') return this.step({ kind: 'malformed' });
    return this.step(sasl.respond(line.text));
  }

  private step(step: SaslStep): Promise<void> | undefined {
    switch (step.kind) {
      case 'challenge':
        this.host.enter('awaiting auth response');
        this.host.reply(replyFor.authChallenge(step.base64));
        return undefined;
      case 'cancelled':
        this.end();
        this.host.reply(REPLIES.authCancelled);
        return undefined;
      case 'malformed':
        this.end();
        this.host.reply(REPLIES.authBadBase64);
        return undefined;
      case 'credentials':
        return this.check(step.user, step.password);
      default: {
        const never: never = step;
        return never;
      }
    }
  }

  private end(): void {
    this.sasl = undefined;
    if (this.host.inExchange()) this.host.enter('awaiting mailfrom');
  }

  private async check(user: string, password: string): Promise<void> {
    const users = this.host.users();
    // The check is counted as it starts, so parallel connections from one address cannot run
    // more checks than the failure limit allows before the first failure is recorded.
    if (!this.host.attempt()) {
      this.end();
      this.host.drop(REPLIES.authTooManyFailures);
      return;
    }
    let ok = false;
    let blocked: boolean;
    try {
      ok = users !== undefined && (await users.check(user, password));
    } finally {
      blocked = this.host.settle(user, !ok);
    }
    if (this.host.closed()) return;
    this.end();
    if (ok) {
      this.host.authenticated(user);
      this.host.reply(REPLIES.authOk);
      return;
    }
    this.host.refuse(REPLIES.authFailed);
    // Per-IP failure limit: password guessing costs the guesser its connection.
    if (blocked) this.host.drop(REPLIES.authTooManyFailures);
  }
}
