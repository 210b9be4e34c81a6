/** `petrel inject`: submits a message through the listener with nodemailer, like any client. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseHostPort } from '@petrel/core';
import { DEFAULT_CONFIG } from '../paths.js';
import { EXIT_CONFIG, fail, loadOrExit } from './common.js';

export function registerInject(program: Command): void {
  program
    .command('inject')
    .description('submit a message to the running daemon over SMTP')
    .requiredOption('--from <address>', 'envelope sender ("" for <>)')
    .requiredOption('--to <address...>', 'envelope recipients')
    .option('--file <eml>', 'the message (RFC 5322); default: a small test message')
    .option('--server <host:port>', 'listener address (default: the first [listener] listen address)')
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG)
    .option('--json', 'machine-readable output')
    .action(
      async (o: { from: string; to: string[]; file?: string; server?: string; config: string; json?: boolean }) => {
        const addr = o.server ?? loadOrExit(o.config).listener.listen[0];
        const hp = addr ? parseHostPort(addr, 25) : undefined;
        if (!hp) fail(`--server: expected host:port, found "${addr ?? ''}"`, EXIT_CONFIG);
        const raw = o.file
          ? readFileSync(o.file)
          : Buffer.from(
              `From: <${o.from}>\r\nTo: ${o.to.map((t) => `<${t}>`).join(', ')}\r\nSubject: petrel ` +
                `inject\r\n\r\nTest message from petrel inject.\r\n`,
            );
        // Loaded here, not at the top: every other verb would pay for nodemailer's ~100 modules.
        const { default: nodemailer } = await import('nodemailer');
        const transport = nodemailer.createTransport({
          host: hp.host === '0.0.0.0' ? '127.0.0.1' : hp.host,
          port: hp.port,
          secure: false,
          ignoreTLS: true,
        });
        try {
          const info = await transport.sendMail({ envelope: { from: o.from, to: o.to }, raw });
          const id = /queued as (\S+)/.exec(info.response)?.[1];
          process.stdout.write(o.json ? `${JSON.stringify({ id, response: info.response })}\n` : `${info.response}\n`);
        } catch (e) {
          fail(`inject failed: ${(e as Error).message}`);
        } finally {
          transport.close();
        }
      },
    );
}
