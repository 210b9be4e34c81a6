import type { Command } from 'commander';
import { createLogger, isPetrelError } from '@petrel/core';
import type { Daemon } from '../daemon.js';
import { DEFAULT_CONFIG } from '../paths.js';
import { EXIT_CONFIG, fail, loadOrExit } from './common.js';

/** `petrel start`: the daemon in the foreground; SIGTERM/SIGINT stop it gracefully, SIGHUP reopens logs. */
export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run the daemon in the foreground (stops cleanly on SIGTERM/SIGINT)')
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG)
    .action(async (opts: { config: string }) => {
      const config = loadOrExit(opts.config);
      const logger = createLogger({ level: config.log_level });
      for (const w of config.warnings) logger.warn({ config: opts.config }, w);
      // Loaded here, not at the top, so that the other verbs do not load the whole daemon; and before the
      // probe of a live control socket below, after which Node 20 was seen failing to resolve pino's
      // own dependencies for modules imported later (the import then named the wrong error).
      const { startDaemon } = await import('../daemon.js');
      const { inspectControlSocket } = await import('@petrel/control');
      // Before any service opens the spool: a file in the control socket's place stops the start
      // with the path named. A live socket is another daemon: on this spool the spool lock refuses
      // it first (naming its pid); on another spool the control service refuses it at its start.
      try {
        await inspectControlSocket(config.control.socket);
      } catch (e) {
        if (!isPetrelError(e)) throw e;
        logger.flush();
        fail(`cannot start: ${e.message}`, EXIT_CONFIG);
      }
      let daemon: Daemon;
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
      process.on('SIGHUP', () => {
        daemon.reopenLogs();
        // Policy modules are read again (new sessions run the new code); a failure keeps the old set.
        void daemon.reloadPolicies();
      });
      // `petrel stop` stops the daemon through the control API; exit once everything has stopped.
      void daemon.stopped.then(() => {
        logger.info('stopped');
        logger.flush();
        process.exit(0);
      });
    });
}
