// Regenerates the corpus report of docs/bounces.md (issue 18) from test/fixtures/bounce-corpus/ and
// the shipped rules: accuracy per class and per category on the development and the test part.
// Run after `pnpm build`. `--check` only verifies the page is current (exit 1 if not);
// `--misses dev` lists the development rows the rules get wrong (the test part's are not listed:
// rules are written from the development part only).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  Classifier,
  loadCorpus,
  renderCorpusReport,
  replaceReport,
  scoreCorpus,
} from '../packages/bounce/dist/index.js';

const dir = fileURLToPath(new URL('../test/fixtures/bounce-corpus/', import.meta.url));
const page = new URL('../docs/bounces.md', import.meta.url);
const rows = loadCorpus(dir);
const classifier = Classifier.load();
const args = process.argv.slice(2);

if (args[0] === '--misses') {
  if (args[1] !== 'dev') {
    console.error('usage: node scripts/bounce-report.mjs --misses dev');
    process.exit(2);
  }
  for (const m of scoreCorpus(
    classifier,
    rows.filter((r) => r.part === 'dev'),
  ).misses)
    console.log(`${m.row.file}:${m.row.line}\twant ${m.row.expected}\tgot ${m.got} (${m.rule})\t${m.row.reply}`);
  process.exit(0);
}
const before = readFileSync(page, 'utf8');
const after = replaceReport(before, renderCorpusReport(classifier, rows, dir));
if (args[0] === '--check') {
  if (before !== after) {
    console.error('docs/bounces.md: the corpus report is out of date; run node scripts/bounce-report.mjs');
    process.exit(1);
  }
  console.log('docs/bounces.md: corpus report is current');
} else {
  writeFileSync(page, after);
  console.log(`wrote ${page.pathname}`);
}
