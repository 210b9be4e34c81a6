import type { Command } from 'commander';
import { DEFAULT_CONFIG } from '../paths.js';
import { loadOrExit } from './common.js';

/** `petrel config …`: configuration tools that work without a running daemon. */
export function registerConfig(program: Command): Command {
  const configCmd = program.command('config').description('configuration tools');
  configCmd
    .command('check')
    .description('validate a configuration file and exit (0 = valid, 2 = errors, each named)')
    .argument('[file]', 'configuration file', DEFAULT_CONFIG)
    .action((file: string) => {
      const c = loadOrExit(file);
      process.stdout.write(`${file}: ok (${c.scopes.bindings.size} binding(s), ${c.listener.listen.join(', ')})\n`);
    });
  return configCmd;
}
