/**
 * @petrel/policy: operator code for Petrel. The types and `definePolicy` are what a module is
 * written against; the loader, runner and watchdog are what the daemon runs it with.
 */
export type * from './types.js';
export { definePolicy } from './define.js';
export { HOOKS, HOOK_NAMES, isHookName, type HookKind, type InboundHook, type ObserverHook } from './hooks.js';
export { parsePolicyReply } from './reply.js';
export { HeaderSection, splitMessage } from './headers.js';
export { formatParameters } from './params.js';
export { PolicyMetrics, type HookStats } from './metrics.js';
export {
  PolicySet,
  POLICY_FAILURE_REPLY,
  DEFAULT_HOOK_TIMEOUT_MS,
  HookTimeout,
  type LoadedModule,
  type PolicyEnv,
} from './runner.js';
export { loadPolicySet, loadPolicyModule, validatePolicy, type PolicyModuleEntry } from './loader.js';
export { buildInjectRequest } from './inject.js';
export { startWatchdog, type Watchdog, type WatchdogOptions } from './watchdog.js';
