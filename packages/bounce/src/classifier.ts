/**
 * Momentum's `smtp_error_classify(response, domain)`: an SMTP reply (and the recipient domain,
 * which sharpens the result) → a bounce class. The reply is normalized first (reply-text.ts:
 * multi-line replies joined, DSN and MTA wrappers removed). First match wins, in this order:
 *   1. override rules for this domain, 2. override rules for any domain,
 *   3. shipped rules limited to this domain, 4. shipped rules for any domain (file order, see
 *      config/bounce-rules.toml: meaning of the text, then enhanced status codes, then basic codes),
 *   5. 1 Undetermined.
 */
import { formatReply, PetrelError, Stage, type BounceOptions, type ReplyData } from '@petrel/core';
import { ClassRegistry, UNDETERMINED, isBounceCategory, type BounceCategory, type BounceClass } from './classes.js';
import { normalizeReply, type ReplyText } from './reply-text.js';
import { DEFAULT_RULES_FILE, loadRuleFile, type Rule } from './rules.js';

const INVALID_RECIPIENT = 10;
const DNS_FAILURE = 21;
const ADMIN_FAILURE = 25;

/**
 * A reply to MAIL FROM that a shipped rule reads as an unknown address or domain: the only address
 * MAIL names is the sender's (RFC 5321 §3.3), so the address that "does not exist" is ours, 25 Admin
 * Failure (docs/bounces.md: the sender address is refused), never a recipient that must be suppressed.
 * The stage is the caller's (Momentum stage 2 or 3) or a bounce text's that names the command (Postfix
 * "in reply to MAIL FROM command", Exim "after MAIL FROM:", qmail "but sender was rejected"); override
 * lines are the operator's and stand.
 */
function refusesSender(atMailFrom: boolean, r: ReplyText, classCode: number): boolean {
  if (!atMailFrom) return false;
  return classCode === INVALID_RECIPIENT || (classCode === DNS_FAILURE && (r.code ?? 0) >= 500);
}

/** The answer of classify(). */
export interface Classification {
  readonly code: number;
  readonly name: string;
  readonly category: BounceCategory;
  /** Id of the matching rule; "none" when nothing matched, "disabled" when classification is off. */
  readonly rule: string;
}

export interface ClassifierOptions {
  /** Shipped rule file(s), TOML. Default: config/bounce-rules.toml. */
  readonly rulesFiles?: readonly string[];
  /** Operator override files (`domain,code,rule`), evaluated before the shipped rules. */
  readonly overrideFiles?: readonly string[];
  /** Operator classes (Momentum `custom_classes`), registered before the rules are checked. */
  readonly customClasses?: readonly {
    readonly code: number;
    readonly name: string;
    readonly description?: string;
    readonly category?: BounceCategory;
  }[];
  /** Start disabled (every reply is Undetermined). */
  readonly disabled?: boolean;
}

/** Does `domain` equal `d` or lie under it? */
function domainMatches(domain: string, d: string): boolean {
  return domain === d || domain.endsWith(`.${d}`);
}

export class Classifier {
  readonly classes = new ClassRegistry();
  private overrides: Rule[] = [];
  private rules: Rule[] = [];
  private enabled = true;

  /** Loads the files named in `options` (the shipped rules unless `rulesFiles` says otherwise). */
  static load(options: ClassifierOptions = {}): Classifier {
    const c = new Classifier();
    for (const k of options.customClasses ?? []) c.classes.registerClass(k.code, k.name, k.description, k.category);
    c.setRules(
      (options.rulesFiles ?? [DEFAULT_RULES_FILE]).flatMap(loadRuleFile),
      (options.overrideFiles ?? []).flatMap(loadRuleFile),
    );
    if (options.disabled) c.disable();
    return c;
  }

  /**
   * The classifier a daemon's [bounce] section describes (paths already absolute). Its classes
   * are registered before any rule or override file is read, so those files may use them.
   */
  static fromConfig(bounce: BounceOptions): Classifier {
    return Classifier.load({
      // Core types the category as a string; the bounceClasses extension admitted only BOUNCE_CATEGORIES.
      customClasses: bounce.classes.map((k) => ({
        ...k,
        category: isBounceCategory(k.category) ? k.category : undefined,
      })),
      ...(bounce.rules_files.length > 0 ? { rulesFiles: bounce.rules_files } : {}),
      overrideFiles: bounce.override_files,
      disabled: !bounce.classify,
    });
  }

  /** Replaces the rule lists; every rule must name a registered class. */
  setRules(rules: readonly Rule[], overrides: readonly Rule[] = []): void {
    for (const r of [...overrides, ...rules]) {
      if (!this.classes.classForId(r.classCode)) {
        throw new PetrelError(
          'PETREL_ERR_BOUNCE_RULES',
          `rule ${r.id}: class ${r.classCode} is not a known bounce class`,
          { rule: r.id, code: r.classCode },
        );
      }
    }
    this.rules = [...rules];
    this.overrides = [...overrides];
  }

  /** Turns the whole system on (default) or off; off = every reply is 1 Undetermined. */
  enable(): void {
    this.enabled = true;
  }

  disable(): void {
    this.enabled = false;
  }

  get isEnabled(): boolean {
    return this.enabled;
  }

  /** Operator class: see ClassRegistry.registerClass. */
  registerClass(code: number, name: string, description = '', category?: BounceCategory): BounceClass {
    return this.classes.registerClass(code, name, description, category);
  }

  classForId(code: number): BounceClass | undefined {
    return this.classes.classForId(code);
  }

  /**
   * Classifies a reply, given as a value or as text: "550 5.1.1 …", a multi-line reply, a DSN
   * Diagnostic-Code or an MTA's bounce text (normalized first, reply-text.ts); `domain` is the
   * recipient domain; `stage` the Momentum connection stage of the reply (Stage in @petrel/core),
   * when the caller knows it: a reply during MAIL FROM refuses the sender (refusesSender).
   */
  classify(reply: ReplyData | string, domain = '', stage?: number): Classification {
    if (!this.enabled) return this.result(UNDETERMINED, 'disabled');
    const r = normalizeReply(typeof reply === 'string' ? reply : formatReply(reply));
    const d = domain.toLowerCase();
    const override = this.first(this.overrides, r.text, d, true) ?? this.first(this.overrides, r.text, d, false);
    if (override) return this.result(override.classCode, override.id);
    const hit = this.first(this.rules, r.text, d, true) ?? this.first(this.rules, r.text, d, false);
    if (!hit) return this.result(UNDETERMINED, 'none');
    const atMailFrom = stage === Stage.DURING_MAIL_FROM || stage === Stage.AFTER_MAIL_FROM || r.stage === 'mail';
    return refusesSender(atMailFrom, r, hit.classCode)
      ? this.result(ADMIN_FAILURE, `${hit.id}+mail-from`)
      : this.result(hit.classCode, hit.id);
  }

  private first(rules: readonly Rule[], text: string, domain: string, scoped: boolean): Rule | undefined {
    for (const r of rules) {
      if (
        scoped
          ? r.domains.length > 0 && domain !== '' && r.domains.some((x) => domainMatches(domain, x))
          : r.domains.length === 0
      ) {
        if (r.test(text)) return r;
      }
    }
    return undefined;
  }

  private result(code: number, rule: string): Classification {
    const c = this.classes.classForId(code) ?? this.classes.classForId(UNDETERMINED)!;
    return { code: c.code, name: c.name, category: c.category, rule };
  }
}
