import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { isPetrelError } from '@petrel/core';
import { Classifier } from '@petrel/bounce';
import { DEFAULT_CONFIG } from '../paths.js';
import { EXIT_CONFIG, fail, loadOrExit } from './common.js';

/**
 * `petrel classify "<reply>" [--domain d] [--json]`: Momentum's `bounce_classifier_override test`.
 * Works without a daemon, on the rules the configuration names.
 */
export function registerClassify(program: Command): void {
  program
    .command('classify')
    .description('classify an SMTP reply into a Momentum bounce class and show the rule that matched')
    .argument('<reply>', 'the reply on one line, e.g. "550 5.1.1 <x@y>: user unknown"')
    .option('-d, --domain <domain>', 'recipient domain (sharpens the result)', '')
    .option('-c, --config <file>', 'configuration file ([bounce] rules and overrides)', DEFAULT_CONFIG)
    .option('--json', 'print JSON')
    .action((reply: string, opts: { domain: string; config: string; json?: boolean }) => {
      let classifier: Classifier;
      try {
        classifier = existsSync(opts.config)
          ? Classifier.fromConfig(loadOrExit(opts.config).bounce)
          : Classifier.load();
      } catch (e) {
        if (isPetrelError(e)) fail(e.message, EXIT_CONFIG);
        throw e;
      }
      const c = classifier.classify(reply, opts.domain);
      process.stdout.write(
        opts.json ? `${JSON.stringify(c)}\n` : `${c.code} ${c.name} (${c.category}) rule: ${c.rule}\n`,
      );
    });
}
