/**
 * @petrel/shaping: reply-driven traffic shaping (docs/shaping.md). Rule files (`[shaping]
 * rules_files`, shipped config/shaping.toml) are validated by this package's config extensions;
 * the ShapingService turns matching replies into suspensions, throttles, connection limits and
 * bounces, keeps every state (operator suspensions too) in a ShapingStore and restores them at start.
 *
 * Bus contract: subscribes `delivery.attempted`, `queue.suspension`; handles `shaping.list`,
 * `shaping.set`, `shaping.clear`; requests `queue.suspend`, `queue.resume`, `queue.suspensions`,
 * `queue.fail`; publishes `shaping.changed` (the queue and outbound enforce throttles and limits).
 *
 * @packageDocumentation
 */
export { ShapingService, suspensionState, type ShapingServiceOptions } from './shaping-service.js';
export { shapingConfigExtensions } from './config-extension.js';
export { loadShapingFiles, parseShapingToml, DEFAULT_SHAPING_FILE } from './rules-file.js';
export { RuleMatcher, TriggerWindows, type ReplyOrigin } from './rule-matcher.js';
