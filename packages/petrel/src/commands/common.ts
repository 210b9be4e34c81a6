import { isPetrelError, loadConfig, type PetrelConfig } from '@petrel/core';

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
    return loadConfig(file);
  } catch (e) {
    if (isPetrelError(e)) fail(e.message, EXIT_CONFIG);
    throw e;
  }
}
