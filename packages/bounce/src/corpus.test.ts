import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Classifier } from './classifier.js';

/** test/fixtures/bounce-corpus.tsv: class, domain ("-" = none), reply. */
const CORPUS = fileURLToPath(new URL('../../../test/fixtures/bounce-corpus.tsv', import.meta.url));
const MIN_ACCURACY = 0.95;

test(`the shipped rules classify the real-world corpus with at least ${MIN_ACCURACY * 100}% accuracy`, (t) => {
  const rows = readFileSync(CORPUS, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => {
      const [code, domain, ...reply] = l.split('\t');
      return { want: Number(code), domain: domain === '-' ? '' : domain!, reply: reply.join('\t') };
    });
  assert.ok(rows.length >= 150, `corpus has ${rows.length} replies, needs ≥ 150`);
  const c = Classifier.load();
  const misses = rows.filter((r) => c.classify(r.reply, r.domain).code !== r.want);
  const accuracy = 1 - misses.length / rows.length;
  t.diagnostic(
    `bounce corpus: ${rows.length - misses.length}/${rows.length} = ${(accuracy * 100).toFixed(1)}% correct`,
  );
  for (const m of misses)
    t.diagnostic(`miss: want ${m.want}, got ${JSON.stringify(c.classify(m.reply, m.domain))}: ${m.reply}`);
  assert.ok(accuracy >= MIN_ACCURACY, `accuracy ${(accuracy * 100).toFixed(1)}% < ${MIN_ACCURACY * 100}%`);
});
