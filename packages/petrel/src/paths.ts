import { fileURLToPath } from 'node:url';

/** The embedded default configuration: config/petrel.toml at the repository root. */
export const DEFAULT_CONFIG = fileURLToPath(new URL('../../../config/petrel.toml', import.meta.url));
