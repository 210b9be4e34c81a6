import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { isPetrelError, parseConfig } from '@petrel/core';
import { Classifier, parseReplyLines, type Classification } from '@petrel/bounce';
import { DEFAULT_CONFIG } from '../paths.js';
import { EXIT_CONFIG, fail, loadOrExit } from './common.js';
import { table } from './table.js';
import { classifyMessage } from './classify-message.js';

interface ClassifyOptions {
  domain: string;
  config: string;
  file?: string;
  message?: string;
  rcpt: string[];
  json?: boolean;
}

/**
 * `petrel classify "<reply>" [--domain d] [--json]`: Momentum's `bounce_classifier_override test`.
 * `petrel classify --file replies.txt [--json]`: every reply of a file (one a line, docs/bounces.md),
 * then a summary per class. `petrel classify --message bounce.eml`: what the feedback loop makes of a
 * returned message (classify-message.ts). Works without a daemon, on the rules the configuration names.
 */
export function registerClassify(program: Command): void {
  program
    .command('classify')
    .description('classify an SMTP reply (or a file of replies) into Momentum bounce classes and show the rule')
    .argument('[reply]', 'the reply on one line, e.g. "550 5.1.1 <x@y>: user unknown"')
    .option('-d, --domain <domain>', 'recipient domain (sharpens the result)', '')
    .option('-f, --file <file>', 'classify every reply of a file: one a line, "domain<TAB>reply", \\n = line break')
    .option('-m, --message <file>', 'read a returned message (bounce, auto-reply, complaint) as the feedback loop does')
    .option(
      '--rcpt <address>',
      'with --message: an envelope recipient it was sent to (repeatable)',
      (v: string, all: string[]) => [...all, v],
      [] as string[],
    )
    .option('-c, --config <file>', 'configuration file ([bounce] rules and overrides)', DEFAULT_CONFIG)
    .option('--json', 'print JSON')
    .action((reply: string | undefined, opts: ClassifyOptions) => {
      if ([reply, opts.file, opts.message].filter((x) => x !== undefined).length !== 1)
        fail('give one of: a reply, --file <file>, --message <file>', EXIT_CONFIG);
      let classifier: Classifier;
      const configured = existsSync(opts.config);
      const config = configured ? loadOrExit(opts.config) : parseConfig('', '(defaults)');
      try {
        classifier = configured ? Classifier.fromConfig(config.bounce) : Classifier.load();
      } catch (e) {
        if (isPetrelError(e)) fail(e.message, EXIT_CONFIG);
        throw e;
      }
      if (opts.message !== undefined) {
        classifyMessage(opts.message, config, classifier, { rcpt: opts.rcpt, ...(opts.json ? { json: true } : {}) });
        return;
      }
      if (opts.file !== undefined) {
        classifyFile(classifier, opts.file, opts);
        return;
      }
      const c = classifier.classify(reply!, opts.domain);
      process.stdout.write(
        opts.json ? `${JSON.stringify(c)}\n` : `${c.code} ${c.name} (${c.category}) rule: ${c.rule}\n`,
      );
    });
}

function classifyFile(classifier: Classifier, file: string, opts: ClassifyOptions): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    fail(`${file}: cannot read: ${(e as Error).message}`);
  }
  const results = parseReplyLines(text).map((r) => {
    const domain = r.domain || opts.domain.toLowerCase();
    return { line: r.line, domain, reply: r.reply, ...classifier.classify(r.reply, domain) };
  });
  const counts = new Map<number, { c: Classification; count: number }>();
  for (const r of results) {
    const e = counts.get(r.code) ?? { c: r, count: 0 };
    e.count++;
    counts.set(r.code, e);
  }
  const summary = [...counts.values()]
    .sort((a, b) => a.c.code - b.c.code)
    .map(({ c, count }) => ({ code: c.code, name: c.name, category: c.category, count }));
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ results, summary })}\n`);
    return;
  }
  const oneLine = (s: string): string => (s.length > 100 ? `${s.slice(0, 99)}…` : s).replace(/\n/g, '\\n');
  process.stdout.write(
    table(
      ['line', 'class', 'category', 'rule', 'reply'],
      results.map((r) => [r.line, `${r.code} ${r.name}`, r.category, r.rule, oneLine(r.reply)]),
    ),
  );
  const total = results.length;
  process.stdout.write(
    `\n${table(
      ['code', 'class', 'category', 'replies', 'share'],
      [
        ...summary.map((s) => [s.code, s.name, s.category, s.count, `${((100 * s.count) / total).toFixed(1)}%`]),
        ['', 'total', '', total, total > 0 ? '100.0%' : '-'],
      ],
    )}`,
  );
}
