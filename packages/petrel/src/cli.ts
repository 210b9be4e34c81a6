#!/usr/bin/env node
/** The `petrel` command line. `petrel start` runs the daemon in the foreground. */
import { Command, CommanderError } from 'commander';
import { createLogger, isPetrelError, loadConfig, type PetrelConfig } from '@petrel/core';
import { startDaemon } from './daemon.js';
import { DEFAULT_CONFIG } from './paths.js';

/** Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error (like sysexits' EX_USAGE/EX_CONFIG family). */
const EXIT_CONFIG = 2;

function fail(message: string, code = 1): never {
  process.stderr.write(`petrel: ${message}\n`);
  process.exit(code);
}

function load(file: string): PetrelConfig {
  try {
    return loadConfig(file);
  } catch (e) {
    if (isPetrelError(e)) fail(e.message, EXIT_CONFIG);
    throw e;
  }
}

const program = new Command('petrel')
  .description('Petrel, an outbound MTA')
  .showHelpAfterError()
  .exitOverride();

program
  .command('start')
  .description('run the daemon in the foreground (stops cleanly on SIGTERM/SIGINT)')
  .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG)
  .action(async (opts: { config: string }) => {
    const config = load(opts.config);
    const logger = createLogger({ level: config.log_level });
    let daemon;
    try {
      daemon = await startDaemon(config, logger);
    } catch (e) {
      logger.flush();
      fail(`cannot start: ${(e as Error).message}`);
    }
    logger.info({ config: opts.config, listen: config.listener.listen, spool: config.spool_dir }, 'petrel started');
    let signals = 0;
    const shutdown = (sig: string): void => {
      if (++signals > 1) {
        logger.warn({ signal: sig }, 'second signal: exiting at once');
        process.exit(1);
      }
      logger.info({ signal: sig }, 'stopping');
      void daemon.stop().then(
        () => {
          logger.info('stopped');
          logger.flush();
          process.exit(0);
        },
        (err: unknown) => {
          logger.error({ err }, 'stop failed');
          logger.flush();
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
    process.on('SIGHUP', () => daemon.reopenLogs());
  });

const configCmd = program.command('config').description('configuration tools');
configCmd
  .command('check')
  .description('validate a configuration file and exit (0 = valid)')
  .argument('[file]', 'configuration file', DEFAULT_CONFIG)
  .action((file: string) => {
    const c = load(file);
    process.stdout.write(`${file}: ok (${c.scopes.bindings.size} binding(s), ${c.listener.listen.join(', ')})\n`);
  });

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : EXIT_CONFIG);
  fail((e as Error).stack ?? String(e));
}
