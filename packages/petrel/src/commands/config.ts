import type { Command } from 'commander';
import {
  DELIVERY_OPTIONS,
  DEFAULT_BINDING,
  formatDuration,
  isPetrelError,
  type DeliveryOptionName,
} from '@petrel/core';
import { DEFAULT_CONFIG } from '../paths.js';
import { EXIT_CONFIG, fail, loadOrExit } from './common.js';

/** `petrel config …`: configuration tools that work without a running daemon. */
export function registerConfig(program: Command): Command {
  const configCmd = program.command('config').description('configuration tools');
  configCmd
    .command('check')
    .description('validate a configuration file and exit (0 = valid, 2 = errors, each named)')
    .argument('[file]', 'configuration file', DEFAULT_CONFIG)
    .action(async (file: string) => {
      const c = loadOrExit(file);
      for (const w of c.warnings) process.stderr.write(`petrel: warning: ${w}\n`);
      // What `petrel start` would find at the control socket path (see @petrel/control socket-path).
      try {
        const { inspectControlSocket, liveSocketError } = await import('@petrel/control');
        // A live socket is the running daemon itself when checking before `petrel config reload`: say so, do not fail.
        if ((await inspectControlSocket(c.control.socket)) === 'live')
          process.stderr.write(
            `petrel: note: ${liveSocketError(c.control.socket).message} (petrel start would refuse; config ` +
              `reload is fine)\n`,
          );
      } catch (e) {
        if (isPetrelError(e)) fail(`${file}: control.socket: ${e.message}`, EXIT_CONFIG);
        throw e;
      }
      process.stdout.write(`${file}: ok (${c.scopes.bindings.size} binding(s), ${c.listener.listen.join(', ')})\n`);
    });
  configCmd
    .command('eval')
    .description('effective value of a delivery option for a scope path, and the scope it comes from')
    .argument(
      '<words...>',
      'scope path then option, e.g.: binding_group g1 binding example domain example.com max_outbound_connections',
    )
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG)
    .option('--json', 'machine-readable output')
    .action((words: string[], o: { config: string; json?: boolean }) => {
      const c = loadOrExit(o.config);
      const option = words[words.length - 1] as DeliveryOptionName;
      if (!(option in DELIVERY_OPTIONS))
        fail(`unknown delivery option "${String(option)}" (see docs/configuration.md)`, EXIT_CONFIG);
      let binding = DEFAULT_BINDING;
      let domain = '';
      for (let i = 0; i + 1 < words.length - 1; i += 2) {
        const [kind, name] = [words[i], words[i + 1]!];
        if (kind === 'binding') binding = name;
        else if (kind === 'domain') domain = name;
        else if (kind === 'binding_group') {
          if (!c.scopes.groups.has(name)) fail(`no binding_group "${name}" in ${o.config}`, EXIT_CONFIG);
        } else fail(`scope path: expected binding_group, binding or domain, found "${kind ?? ''}"`, EXIT_CONFIG);
      }
      if (!c.scopes.bindings.has(binding)) fail(`no binding "${binding}" in ${o.config}`, EXIT_CONFIG);
      const e = c.delivery.explain(option, binding, domain);
      const spec = DELIVERY_OPTIONS[option];
      const shown =
        spec.type === 'duration' && typeof e.value === 'number' ? formatDuration(e.value) : JSON.stringify(e.value);
      process.stdout.write(
        o.json
          ? `${JSON.stringify({ option, binding, domain, value: e.value, scope: e.scope })}\n`
          : `${option} = ${shown}  (from ${e.scope})\n`,
      );
    });
  return configCmd;
}
