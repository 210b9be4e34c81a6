/**
 * The closed list of hook names (STYLE.md: hook names are a validated list) and what kind each is:
 * the kind decides what a failure costs (docs/policy.md "When a hook fails").
 */
import type { HookName } from './types.js';

/**
 * inbound: a refusal reply is possible; a failure answers 451 4.3.0.
 * delivery: routing and outbound; a failure defers the attempt (or keeps the default decision).
 * sync: called synchronously on a hot path; a failure keeps Petrel's default.
 * observer: fire-and-forget after the fact; a failure is logged and skipped.
 */
export type HookKind = 'inbound' | 'delivery' | 'sync' | 'observer';

export const HOOKS: Readonly<Record<HookName, HookKind>> = {
  connect: 'inbound',
  ehlo: 'inbound',
  mailFrom: 'inbound',
  rcptTo: 'inbound',
  data: 'inbound',
  dkimSign: 'inbound',
  setBinding: 'delivery',
  beforeDelivery: 'delivery',
  connectionGoal: 'sync',
  clientStates: 'sync',
  classify: 'sync',
  onReception: 'observer',
  onDelivery: 'observer',
  onTransientFailure: 'observer',
  onPermanentFailure: 'observer',
  onBounce: 'observer',
  onRejection: 'observer',
};

export const HOOK_NAMES = Object.keys(HOOKS) as HookName[];

export type InboundHook = 'connect' | 'ehlo' | 'mailFrom' | 'rcptTo' | 'data';
export type ObserverHook =
  | 'onReception'
  | 'onDelivery'
  | 'onTransientFailure'
  | 'onPermanentFailure'
  | 'onBounce'
  | 'onRejection';

export function isHookName(name: string): name is HookName {
  return Object.hasOwn(HOOKS, name);
}
