/**
 * Labelled reply corpora and reply files, one reply a line (docs/bounces.md "Corpus"): the format
 * `petrel classify --file` reads, the corpus of test/fixtures/bounce-corpus/, its fixed split into
 * a development and a test part, and accuracy per class and per category.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BOUNCE_CATEGORIES, type BounceCategory } from './classes.js';
import type { Classifier } from './classifier.js';

/** One reply of a reply file. */
export interface ReplyLine {
  /** 1-based line where the reply starts. */
  readonly line: number;
  /** Recipient domain ("" = none). */
  readonly domain: string;
  /** The reply, lines separated by "\n". */
  readonly reply: string;
}

/** A literal `\n` (backslash, n) in a one-line reply stands for a line break; `\\` for a backslash. */
export function decodeReplyLine(s: string): string {
  return s.replace(/\\(n|\\)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}

/**
 * Reads a reply file: one reply a line; blank lines and lines starting with `#` are skipped;
 * `domain<TAB>reply` gives the recipient domain; a literal `\n` inside a line separates the lines
 * of a multi-line reply, and so do consecutive physical lines in RFC 5321 form (`550-…` lines up
 * to the `550 …` line).
 */
export function parseReplyLines(text: string): ReplyLine[] {
  const out: ReplyLine[] = [];
  let pending: { line: number; domain: string; parts: string[] } | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    if (pending) {
      pending.parts.push(decodeReplyLine(raw.trim()));
      if (!/^\d{3}-/.test(raw.trim())) {
        out.push({ line: pending.line, domain: pending.domain, reply: pending.parts.join('\n') });
        pending = undefined;
      }
      return;
    }
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) return;
    const tab = raw.indexOf('\t');
    const domain = tab >= 0 ? raw.slice(0, tab).trim().toLowerCase() : '';
    const reply = decodeReplyLine((tab >= 0 ? raw.slice(tab + 1) : raw).trim());
    if (/^\d{3}-/.test(reply) && !reply.includes('\n')) pending = { line: i + 1, domain, parts: [reply] };
    else out.push({ line: i + 1, domain, reply });
  });
  if (pending) out.push({ line: pending.line, domain: pending.domain, reply: pending.parts.join('\n') });
  return out;
}

/** The part of the corpus a row belongs to. */
export type CorpusPart = 'dev' | 'test';

/** One labelled row of the corpus. */
export interface CorpusRow {
  readonly expected: number;
  readonly domain: string;
  readonly reply: string;
  readonly source: string;
  /** File name (no directory) and 1-based line. */
  readonly file: string;
  readonly line: number;
  readonly part: CorpusPart;
}

/** The file whose rows the first rule set was written from: always development. */
export const CORPUS_V1_FILE = 'petrel-v1.tsv';

/**
 * The fixed split: a row is in the test part when the first byte of SHA-256 of its reply text is
 * below 77 (≈ 30 %), unless it comes from CORPUS_V1_FILE. Decided once by the row's own text, so
 * adding rows never moves another row between parts.
 */
export function corpusPart(file: string, reply: string): CorpusPart {
  if (file === CORPUS_V1_FILE) return 'dev';
  return createHash('sha256').update(reply).digest()[0]! < 77 ? 'test' : 'dev';
}

/**
 * Loads every `*.tsv` of a corpus directory. Columns (TAB): class code, recipient domain ("-" =
 * none), reply (literal `\n` = next line), source. `#` lines are comments.
 */
export function loadCorpus(dir: string): CorpusRow[] {
  const rows: CorpusRow[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.tsv'))
    .sort()) {
    readFileSync(join(dir, file), 'utf8')
      .split('\n')
      .forEach((raw, i) => {
        if (raw.trim() === '' || raw.startsWith('#')) return;
        const f = raw.split('\t');
        const expected = Number(f[0]);
        if (f.length !== 4 || !Number.isInteger(expected) || f[2] === '') {
          throw new Error(`${join(dir, file)}:${i + 1}: expected "class<TAB>domain<TAB>reply<TAB>source"`);
        }
        rows.push({
          expected,
          domain: f[1] === '-' ? '' : f[1]!,
          reply: decodeReplyLine(f[2]!),
          source: f[3]!,
          file,
          line: i + 1,
          part: corpusPart(file, f[2]!),
        });
      });
  }
  return rows;
}

/** Correct out of total. */
export interface Tally {
  n: number;
  ok: number;
}

/** A corpus row the classifier got wrong. */
export interface CorpusMiss {
  readonly row: CorpusRow;
  readonly got: number;
  readonly rule: string;
}

/** Accuracy of one part: by class and by category (of the expected class). */
export interface PartScore {
  readonly total: Tally;
  readonly category: Tally;
  readonly byClass: Map<number, Tally>;
  readonly byCategory: Map<BounceCategory, Tally>;
  readonly misses: CorpusMiss[];
}

function bump(t: Tally, ok: boolean): void {
  t.n++;
  if (ok) t.ok++;
}

/** Classifies every row and tallies exact-class and same-category accuracy. */
export function scoreCorpus(classifier: Classifier, rows: readonly CorpusRow[]): PartScore {
  const s: PartScore = {
    total: { n: 0, ok: 0 },
    category: { n: 0, ok: 0 },
    byClass: new Map(),
    byCategory: new Map(BOUNCE_CATEGORIES.map((c) => [c, { n: 0, ok: 0 }])),
    misses: [],
  };
  for (const row of rows) {
    const got = classifier.classify(row.reply, row.domain);
    const want = classifier.classForId(row.expected);
    if (!want) throw new Error(`${row.file}:${row.line}: class ${row.expected} is not a bounce class`);
    const ok = got.code === row.expected;
    const catOk = got.category === want.category;
    bump(s.total, ok);
    bump(s.category, catOk);
    if (!s.byClass.has(row.expected)) s.byClass.set(row.expected, { n: 0, ok: 0 });
    bump(s.byClass.get(row.expected)!, ok);
    bump(s.byCategory.get(want.category)!, catOk);
    if (!ok) s.misses.push({ row, got: got.code, rule: got.rule });
  }
  return s;
}
