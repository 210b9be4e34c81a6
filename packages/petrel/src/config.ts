/**
 * The app's one way to load petrel.toml: core's loader with every package's config extension
 * plugged in (bounce classes from @petrel/bounce, binding rules and routes from @petrel/routing, [[dkim]]
 * keys from @petrel/dkim).
 * Core refuses a section whose extension is missing, so every caller must come through here.
 */
import { loadConfig, type ConfigExtensions, type PetrelConfig } from '@petrel/core';
import { bounceConfigExtensions } from '@petrel/bounce';
import { routingConfigExtensions } from '@petrel/routing';
import { shapingConfigExtensions } from '@petrel/shaping';
import { dkimConfigExtensions } from '@petrel/dkim';

/** Every config extension the daemon and CLI use. */
export const CONFIG_EXTENSIONS: ConfigExtensions = {
  ...routingConfigExtensions,
  ...bounceConfigExtensions,
  ...shapingConfigExtensions,
  ...dkimConfigExtensions,
};

/** Reads and validates a config file with every extension; throws PetrelError with every problem found. */
export function loadPetrelConfig(file: string): PetrelConfig {
  return loadConfig(file, { extensions: CONFIG_EXTENSIONS });
}
