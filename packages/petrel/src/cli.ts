#!/usr/bin/env node
/**
 * The `petrel` command line. Each verb lives in commands/<verb>.ts and registers itself here.
 * `petrel start` runs the daemon; the others validate files or talk to the running daemon.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { EXIT_CONFIG, fail } from './commands/common.js';
import { registerConfig } from './commands/config.js';
import { registerClassify } from './commands/classify.js';
import { registerStart } from './commands/start.js';
import { registerRoute } from './commands/route.js';
import { registerDaemonVerbs } from './commands/daemon-verbs.js';
import { registerQueueVerbs } from './commands/queue-verbs.js';
import { registerMessageVerbs } from './commands/message-verbs.js';
import { registerInject } from './commands/inject.js';
import { registerDomainVerbs } from './commands/domain-verbs.js';
import { registerPolicy } from './commands/policy.js';
import { registerSuppression } from './commands/suppression.js';
import { registerCluster } from './commands/cluster.js';
import { registerTls } from './commands/tls.js';
import { registerShaping } from './commands/shaping.js';
import { registerDkim } from './commands/dkim.js';

// The package's own version (dist/cli.js → ../package.json), as operators ask for it in reports.
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};
// Positional options: `petrel queue show D --config F` gives --config to `show`, not to `queue`.
const program = new Command('petrel')
  .description('Petrel, an outbound MTA')
  .version(`petrel ${version}`, '-V, --version', 'print the version of petrel')
  .showHelpAfterError()
  .exitOverride()
  .enablePositionalOptions();
registerStart(program);
registerRoute(program);
const configCmd = registerConfig(program);
registerClassify(program);
registerDaemonVerbs(program, configCmd);
registerQueueVerbs(program);
registerMessageVerbs(program);
registerInject(program);
registerDomainVerbs(program);
registerPolicy(program);
registerSuppression(program);
registerCluster(program);
registerTls(program);
registerShaping(program);
registerDkim(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : EXIT_CONFIG);
  fail((e as Error).stack ?? String(e));
}
