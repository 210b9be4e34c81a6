/**
 * Momentum's bounce classes (reference §9; Momentum 4 docs "bounce-logger-classification-codes"):
 * the numeric code is what mainlog/bouncelog and SparkPost carry, so the numbers and names are
 * Momentum's exactly. Operators add their own below 100 (Momentum `custom_classes`).
 */
import { PetrelError } from '@petrel/core';

/** Momentum's bounce categories: what a sender should do with the address. */
export const BOUNCE_CATEGORIES = ['Undetermined', 'Hard', 'Soft', 'Block', 'Admin'] as const;

export type BounceCategory = (typeof BOUNCE_CATEGORIES)[number];

/** Narrows a category read from config (the bounceClasses extension has checked it already). */
export function isBounceCategory(v: unknown): v is BounceCategory {
  return (BOUNCE_CATEGORIES as readonly unknown[]).includes(v);
}

/** One bounce class. */
export interface BounceClass {
  readonly code: number;
  readonly name: string;
  readonly category: BounceCategory;
  readonly description: string;
}

/** The built-in classes, Momentum's codes and names. */
export const BUILTIN_CLASSES: readonly BounceClass[] = Object.freeze([
  {
    code: 1,
    name: 'Undetermined',
    category: 'Undetermined',
    description: 'The response text could not be identified.',
  },
  { code: 10, name: 'Invalid Recipient', category: 'Hard', description: 'The recipient is invalid.' },
  { code: 20, name: 'Soft Bounce', category: 'Soft', description: 'The message soft bounced.' },
  { code: 21, name: 'DNS Failure', category: 'Soft', description: 'The message bounced due to a DNS failure.' },
  {
    code: 22,
    name: 'Mailbox Full',
    category: 'Soft',
    description: 'The message bounced due to the remote mailbox being over quota.',
  },
  {
    code: 23,
    name: 'Too Large',
    category: 'Soft',
    description: 'The message bounced because it was too large for the recipient.',
  },
  { code: 24, name: 'Timeout', category: 'Soft', description: 'The message timed out (expired in the queue).' },
  {
    code: 25,
    name: 'Admin Failure',
    category: 'Admin',
    description: "The message was failed by the MTA's own policies.",
  },
  {
    code: 30,
    name: 'Generic Bounce: No RCPT',
    category: 'Hard',
    description: 'No recipient could be determined for the message.',
  },
  { code: 40, name: 'Generic Bounce', category: 'Soft', description: 'The message failed for unspecified reasons.' },
  { code: 50, name: 'Mail Block', category: 'Block', description: 'The message was blocked by the receiver.' },
  {
    code: 51,
    name: 'Spam Block',
    category: 'Block',
    description: 'The message was blocked by the receiver as coming from a known spam source.',
  },
  {
    code: 52,
    name: 'Spam Content',
    category: 'Block',
    description: 'The message was blocked by the receiver as spam.',
  },
  {
    code: 53,
    name: 'Prohibited Attachment',
    category: 'Block',
    description: 'The message was blocked by the receiver because it contained an attachment.',
  },
  {
    code: 54,
    name: 'Relaying Denied',
    category: 'Block',
    description: 'The message was blocked by the receiver because relaying is not allowed.',
  },
  { code: 60, name: 'Auto-Reply', category: 'Soft', description: 'The message is an auto-reply/vacation mail.' },
  {
    code: 70,
    name: 'Transient Failure',
    category: 'Soft',
    description: 'Message transmission has been temporarily delayed.',
  },
  { code: 80, name: 'Subscribe', category: 'Admin', description: 'The message is a subscribe request.' },
  { code: 90, name: 'Unsubscribe', category: 'Hard', description: 'The message is an unsubscribe request.' },
  {
    code: 100,
    name: 'Challenge-Response',
    category: 'Soft',
    description: 'The message is a challenge-response probe.',
  },
] satisfies BounceClass[]);

/** Code of the class returned when nothing matches. */
export const UNDETERMINED = 1;

/**
 * The class registry: the built-ins plus operator classes. Not a module singleton: each
 * classifier owns one, so tests and daemons do not share state.
 */
export class ClassRegistry {
  private readonly byCode = new Map<number, BounceClass>();

  constructor() {
    for (const c of BUILTIN_CLASSES) this.byCode.set(c.code, c);
  }

  /**
   * Adds an operator class (Momentum `smtp_error_register_class`, `custom_classes`): the code must
   * be a whole number 2..99 that no class (built-in or registered) uses. Momentum's custom classes
   * have no category; the default "Undetermined" says exactly that, and an operator may name one.
   */
  registerClass(code: number, name: string, description = '', category: BounceCategory = 'Undetermined'): BounceClass {
    if (!Number.isInteger(code) || code < 2 || code >= 100) {
      throw new PetrelError(
        'PETREL_ERR_BOUNCE_CLASS',
        `bounce class ${code}: operator classes need a whole number below 100`,
        { code, name },
      );
    }
    const prior = this.byCode.get(code);
    if (prior) {
      throw new PetrelError('PETREL_ERR_BOUNCE_CLASS', `bounce class ${code} is already "${prior.name}"`, {
        code,
        name,
        existing: prior.name,
      });
    }
    if (name.trim() === '')
      throw new PetrelError('PETREL_ERR_BOUNCE_CLASS', `bounce class ${code} needs a name`, { code });
    const c: BounceClass = Object.freeze({ code, name, category, description });
    this.byCode.set(code, c);
    return c;
  }

  /** Momentum `smtp_error_for_id`: the class of a code, or undefined. */
  classForId(code: number): BounceClass | undefined {
    return this.byCode.get(code);
  }

  /** Every class, by code. */
  all(): BounceClass[] {
    return [...this.byCode.values()].sort((a, b) => a.code - b.code);
  }
}
