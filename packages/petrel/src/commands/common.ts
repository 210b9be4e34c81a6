import type { Command } from 'commander';
import { controlSocketOf, isPetrelError, type PetrelConfig } from '@petrel/core';
import { loadPetrelConfig } from '../config.js';
import { ControlClient, ControlError } from '../control-client.js';
import { DEFAULT_CONFIG } from '../paths.js';

/** Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error. */
export const EXIT_RUNTIME = 1;
export const EXIT_CONFIG = 2;

/** Prints one clear line on stderr and exits. */
export function fail(message: string, code = EXIT_RUNTIME): never {
  process.stderr.write(`petrel: ${message}\n`);
  process.exit(code);
}

/** Loads a config file or exits 2 with every problem named (file:line: key: expected, found). */
export function loadOrExit(file: string): PetrelConfig {
  try {
    return loadPetrelConfig(file);
  } catch (e) {
    if (isPetrelError(e)) fail(e.message, EXIT_CONFIG);
    throw e;
  }
}

/** Options every daemon-talking verb takes. */
export interface ClientOptions {
  config?: string;
  socket?: string;
  json?: boolean;
}

/** Adds --config, --socket and --json to a verb that talks to the running daemon. */
export function clientOptions(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'configuration file (to find the control socket)', DEFAULT_CONFIG)
    .option('--socket <path>', 'control socket path (overrides the config)')
    .option('--json', 'machine-readable JSON output');
}

/** The daemon's control socket: --socket, else the config file's (read leniently, see controlSocketOf). */
export function client(opts: ClientOptions): ControlClient {
  if (opts.socket) return new ControlClient(opts.socket);
  try {
    return new ControlClient(controlSocketOf(opts.config ?? DEFAULT_CONFIG));
  } catch (e) {
    if (isPetrelError(e)) fail(e.message, EXIT_CONFIG);
    throw e;
  }
}

/** Runs a daemon call; a control error becomes one clear line and exit 1. */
export async function withClient<T>(
  opts: ClientOptions,
  fn: (c: ControlClient) => Promise<T>,
  human: (v: T) => string,
): Promise<void> {
  try {
    const v = await fn(client(opts));
    process.stdout.write(opts.json ? `${JSON.stringify(v, null, 2)}\n` : human(v));
  } catch (e) {
    if (e instanceof ControlError) fail(e.message);
    throw e;
  }
}
