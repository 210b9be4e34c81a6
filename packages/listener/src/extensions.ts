/**
 * The extension registry, after Momentum's esmtp_extensions_register: a module adds a verb and,
 * optionally, an EHLO keyword. Built-in verbs cannot be replaced.
 */
import { PetrelError, type Recipient, type ReplyData } from '@petrel/core';
import type { CommandState } from './states.js';

/** What an extension's handler may see of the session. */
export interface ExtensionContext {
  readonly state: CommandState;
  readonly connectionId: string;
  readonly client: { readonly address: string; readonly port: number };
  readonly helo: string | undefined;
  /** The reverse-path of the open transaction, if any ("" is the null sender). */
  readonly sender: string | undefined;
  readonly recipients: readonly Recipient[];
}

/** An ESMTP extension: one verb, its EHLO keyword, and the reply it gives. */
export interface SmtpExtension {
  /** The verb, letters only, e.g. "XPETREL"; matched case-insensitively. */
  readonly verb: string;
  /** EHLO keyword line advertised for it (RFC 5321 §4.1.1.1), e.g. "XPETREL 1"; none when absent. */
  readonly keyword?: string;
  /** States in which the verb is accepted; others get 503 5.5.1. Default: after EHLO/HELO. */
  readonly states?: readonly CommandState[];
  /** Computes the reply; the session waits for it before the next pipelined command. */
  readonly handler: (ctx: ExtensionContext, args: string) => ReplyData | Promise<ReplyData>;
}

export const DEFAULT_EXTENSION_STATES: readonly CommandState[] = ['awaiting mailfrom', 'awaiting rcptto'];

export class ExtensionRegistry {
  private readonly byVerb = new Map<string, SmtpExtension>();

  constructor(private readonly reserved: readonly string[]) {}

  register(ext: SmtpExtension): void {
    const verb = ext.verb.toUpperCase();
    if (!/^[A-Z]+$/.test(verb))
      throw new PetrelError('PETREL_ERR_SMTP_STATE', `extension verb must be letters only: "${ext.verb}"`, {
        verb: ext.verb,
      });
    if (this.reserved.includes(verb) || this.byVerb.has(verb)) {
      throw new PetrelError('PETREL_ERR_SMTP_STATE', `SMTP verb "${verb}" is already registered`, { verb });
    }
    this.byVerb.set(verb, ext);
  }

  get(verb: string): SmtpExtension | undefined {
    return this.byVerb.get(verb);
  }

  keywords(): string[] {
    const out: string[] = [];
    for (const e of this.byVerb.values()) if (e.keyword !== undefined) out.push(e.keyword);
    return out;
  }

  verbs(): string[] {
    return [...this.byVerb.keys()];
  }
}
