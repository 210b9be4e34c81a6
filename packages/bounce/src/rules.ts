/**
 * Classification rules as data (STYLE.md §9): the shipped TOML rule file and Momentum's operator
 * override file (`user_smtp_classification.ovr`, one `domain,code,rule` per line). Both compile
 * to the same `Rule` shape; the classifier evaluates them in the documented order.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, TomlError } from 'smol-toml';
import { PetrelError } from '@petrel/core';

/** The shipped rules: config/bounce-rules.toml at the repository root. */
export const DEFAULT_RULES_FILE = fileURLToPath(new URL('../../../config/bounce-rules.toml', import.meta.url));

/** One compiled rule. */
export interface Rule {
  /** Names the rule in `petrel classify` output: the TOML `id`, or `file:line` of an override. */
  readonly id: string;
  readonly classCode: number;
  /** Lower-case recipient domains the rule is limited to; empty = any domain. */
  readonly domains: readonly string[];
  /** Tested against the reply on one line, normalized (reply-text.ts): "550 5.1.1 text". */
  readonly test: (reply: string) => boolean;
  /** Where the rule came from: "rules" (shipped TOML) or "override". */
  readonly source: 'rules' | 'override';
}

type Table = Record<string, unknown>;

function bad(file: string, where: string, what: string): PetrelError {
  return new PetrelError('PETREL_ERR_BOUNCE_RULES', `${file}: ${where}: ${what}`, { file, where });
}

/** What a rule's `codes` may name: the class of the reply's basic code, or no code at all. */
export const REPLY_KINDS = ['2xx', '4xx', '5xx', 'none'] as const;

export type ReplyKind = (typeof REPLY_KINDS)[number];

/** The kind of a normalized reply: "4xx" (transient, RFC 5321 §4.2.1), "5xx", "2xx" or "none". */
export function replyKind(normalized: string): ReplyKind {
  const m = /^([245])\d\d(?: |$)/.exec(normalized);
  return m ? (`${m[1]}xx` as ReplyKind) : 'none';
}

/**
 * Parses a TOML rule file: `[[rule]]` tables with `id`, `class` (a code), `pattern` (a
 * JavaScript regular expression, case-insensitive, tested against "550 5.1.1 text"), optional
 * `domains` and optional `codes` (the reply kinds the rule applies to, of REPLY_KINDS; default
 * all). Order in the file is evaluation order.
 */
export function parseRulesToml(text: string, file: string): Rule[] {
  let doc: Table;
  try {
    doc = parse(text) as Table;
  } catch (e) {
    if (e instanceof TomlError) throw bad(file, `line ${e.line}`, e.message.split('\n')[0] ?? 'invalid TOML');
    throw e;
  }
  const list = doc.rule;
  if (!Array.isArray(list)) throw bad(file, 'rule', 'expected [[rule]] tables');
  const seen = new Set<string>();
  return list.map((r: unknown, i): Rule => {
    const t = r as Table;
    const where = `rule[${i}]${typeof t.id === 'string' ? ` (${t.id})` : ''}`;
    if (typeof t.id !== 'string' || t.id === '') throw bad(file, where, 'expected id = "a-name"');
    if (seen.has(t.id)) throw bad(file, where, `duplicate id "${t.id}"`);
    seen.add(t.id);
    if (typeof t.class !== 'number' || !Number.isInteger(t.class))
      throw bad(file, where, 'expected class = <bounce class code>');
    if (typeof t.pattern !== 'string') throw bad(file, where, "expected pattern = '<regular expression>'");
    let re: RegExp;
    try {
      re = new RegExp(t.pattern, 'i');
    } catch (e) {
      throw bad(file, where, `invalid pattern: ${(e as Error).message}`);
    }
    const domains = t.domains === undefined ? [] : t.domains;
    if (!Array.isArray(domains) || !domains.every((d) => typeof d === 'string'))
      throw bad(file, where, 'expected domains = ["example.com", …]');
    const codes = t.codes === undefined ? [...REPLY_KINDS] : t.codes;
    if (
      !Array.isArray(codes) ||
      codes.length === 0 ||
      !codes.every((k) => (REPLY_KINDS as readonly unknown[]).includes(k))
    )
      throw bad(file, where, `expected codes = a list of ${REPLY_KINDS.map((k) => `"${k}"`).join(', ')}`);
    const kinds = new Set<string>(codes as string[]);
    return {
      id: t.id,
      classCode: t.class,
      domains: domains.map((d: string) => d.toLowerCase()),
      test: kinds.size === REPLY_KINDS.length ? (s) => re.test(s) : (s) => kinds.has(replyKind(s)) && re.test(s),
      source: 'rules',
    };
  });
}

/**
 * A Momentum override rule: a case-insensitive substring, or, when it contains `|`, a wildcard
 * pattern in which each `|` stands for any run of characters (the pieces must appear in order).
 */
export function overrideMatcher(rule: string): (reply: string) => boolean {
  const needle = rule.toLowerCase();
  if (!needle.includes('|')) return (s) => s.toLowerCase().includes(needle);
  const pieces = needle.split('|').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const re = new RegExp(pieces.join('.*'), 's');
  return (s) => re.test(s.toLowerCase());
}

/**
 * Parses an override file: one `domain,code,rule` per line (Momentum bounce_classifier_override).
 * Empty domain = every domain; `#` starts a comment line; the rule is everything after the second
 * comma, so it may itself contain commas.
 */
export function parseOverrides(text: string, file: string): Rule[] {
  const rules: Rule[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^([^,]*),\s*(\d+)\s*,(.+)$/.exec(line);
    if (!m) throw bad(file, `line ${i + 1}`, `expected "domain,code,rule", found ${JSON.stringify(line)}`);
    const domain = m[1]!.trim().toLowerCase();
    const rule = m[3]!.trim();
    if (rule === '') throw bad(file, `line ${i + 1}`, 'empty rule');
    rules.push({
      id: `${file}:${i + 1}`,
      classCode: Number(m[2]),
      domains: domain === '' ? [] : [domain],
      test: overrideMatcher(rule),
      source: 'override',
    });
  });
  return rules;
}

/** Reads and parses a rule file (TOML) or an override file (anything else). */
export function loadRuleFile(file: string): Rule[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new PetrelError(
      'PETREL_ERR_BOUNCE_RULES',
      `${file}: cannot read: ${(e as Error).message}`,
      { file },
      { cause: e },
    );
  }
  return file.endsWith('.toml') ? parseRulesToml(text, file) : parseOverrides(text, file);
}
