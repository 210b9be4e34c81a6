/**
 * The config slots @petrel/routing owns, for `loadConfig(file, { extensions })`: `[[binding_rule]]`
 * (binding assignment) and the `routes` entries of every delivery option table.
 */
import type { ConfigExtensions } from '@petrel/core';
import { bindingRulesExtension } from './binding-rules.js';
import { routesExtension } from './route-entries.js';

export const routingConfigExtensions = {
  bindingRules: bindingRulesExtension,
  routes: routesExtension,
} as const satisfies ConfigExtensions;
