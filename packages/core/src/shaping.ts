/**
 * Traffic shaping as data shared by the services that enforce it (docs/shaping.md): the rule and
 * site entries of the shaping rule files, the per-binding warm-up schedules, the live shaping
 * states (throttle, connection limit, suspension) that rules, operators and policy modules set,
 * the MX rollup "site" of a route, and the narrow store those states survive restarts in.
 *
 * The rule files' format is @petrel/shaping's (its config extension validates them); core only
 * holds the validated shapes, as it does for bounce classes and binding rules.
 */
import type { Rate } from './config/units.js';

/** Where a suspension, throttle or connection limit applies (docs/shaping.md "Scopes"). */
export type ShapingScopeKind = 'binding+domain' | 'domain' | 'binding' | 'site';

/** What a rule does when it triggers. */
export type ShapingActionKind = 'suspend' | 'throttle' | 'max_connections' | 'bounce';

/** One validated action of a rule. */
export interface ShapingActionConfig {
  readonly action: ShapingActionKind;
  /** Where it applies; `bounce` ignores it (it fails the queue the reply came from). */
  readonly scope: ShapingScopeKind;
  /** How long the state lasts, ms (0 for bounce). */
  readonly duration: number;
  /** throttle: messages per period. */
  readonly rate?: Rate;
  /** max_connections: the ceiling. */
  readonly connections?: number;
}

/** Which destinations a rule or site entry covers; empty lists match nothing of that kind. */
export interface ShapingDestinations {
  /** Recipient domains, exact (lower case). */
  readonly domains: readonly string[];
  /** MX host name patterns: `*.yahoodns.net` (a leading `*.` matches any subdomain) or exact names. */
  readonly mx: readonly string[];
  /** Site names (the `name` of a [[site]] entry). */
  readonly sites: readonly string[];
}

/** One validated [[rule]] of a shaping rule file. */
export interface ShapingRuleConfig {
  readonly name: string;
  /** The rule file it came from (absolute path), for messages and `petrel shaping`. */
  readonly file: string;
  readonly match: ShapingDestinations;
  /** Regular expression source, tested against the whole reply ("421 4.7.0 [TS01] …", lines joined by a space). */
  readonly regex?: string;
  /** Enhanced status code prefix, e.g. "4.7.650" (RFC 3463), compared exactly. */
  readonly enhanced?: string;
  /** Only replies with this basic code class ("4" or "5"), when set. */
  readonly codeClass?: '4' | '5';
  /** Matches needed within `within` ms (per destination the action applies to) before the actions run. */
  readonly count: number;
  readonly within: number;
  readonly actions: readonly ShapingActionConfig[];
}

/** One validated [[site]] of a shaping rule file: limits for the sites whose MX hosts match. */
export interface SiteLimitConfig {
  readonly name: string;
  readonly file: string;
  /** MX host name patterns (as ShapingDestinations.mx); a site matches when any of its MX hosts does. */
  readonly mx: readonly string[];
  /** Only for this binding, when set (a binding-specific entry wins over a general one). */
  readonly binding?: string;
  /** Connections open at once to the site, per binding. */
  readonly maxConnections?: number;
  /** Connections open at once to one remote IP address of the site, per binding. */
  readonly maxConnectionsPerIp?: number;
  /** Messages per period to the site, per binding. */
  readonly throttle?: Rate;
}

/** The rule files, validated (config.shaping.rules). */
export interface ShapingRulesConfig {
  readonly files: readonly string[];
  readonly rules: readonly ShapingRuleConfig[];
  readonly sites: readonly SiteLimitConfig[];
}

/** One day of a warm-up schedule: from day `day` (1 = the start date) on, until the next entry. */
export interface WarmupStep {
  readonly day: number;
  /** Messages per hour window, when limited. */
  readonly hourly?: number;
  /** Messages per day window, when limited. */
  readonly daily?: number;
}

/** One validated [[shaping.warmup]] table: a binding's IP warm-up schedule. */
export interface WarmupConfig {
  readonly binding: string;
  /** Epoch ms of day 1's start. */
  readonly start: number;
  /** Budgets count per destination site ("site") or for all mail of the binding ("overall"). */
  readonly per: 'site' | 'overall';
  /** Length of the "hour" window, ms (3 600 000; shorter only to test a schedule). */
  readonly hour: number;
  /** Length of the "day" window, ms (86 400 000; shorter only to test a schedule). */
  readonly day: number;
  /** Ascending by day. */
  readonly schedule: readonly WarmupStep[];
  readonly line?: number;
}

/** A live shaping state: what the queue or outbound enforce until `until`. */
export interface ShapingState {
  /** Stable key: kind and scope (one state per kind and scope; a new one replaces the old). */
  readonly id: string;
  readonly kind: 'suspend' | 'throttle' | 'max_connections';
  readonly scope: ShapingScopeKind;
  readonly binding?: string;
  readonly domain?: string;
  readonly site?: string;
  readonly rate?: Rate;
  readonly connections?: number;
  /** Who set it. */
  readonly source: 'rule' | 'operator' | 'policy';
  /** The rule's name, for rule states. */
  readonly rule?: string;
  /** The reply that triggered it, or the operator's / module's reason. */
  readonly cause?: string;
  readonly since: number;
  /** Epoch ms when it ends by itself; absent = until cleared. */
  readonly until?: number;
}

/** Published on every change of a shaping state (docs/logs.md `shaping` record). */
export interface ShapingChanged {
  readonly time: number;
  readonly change: 'set' | 'cleared' | 'expired' | 'restored';
  readonly state: ShapingState;
}

/** Published by routing when it learns (or re-learns a different) site of a domain. */
export interface SiteLearned {
  readonly domain: string;
  readonly site: string;
  /** The MX (or gateway) host names, in route order. */
  readonly hosts: readonly string[];
}

/** Warm-up counters of one binding/site/window, as stored. */
export interface WarmupCounter {
  readonly key: string;
  readonly window: number;
  readonly count: number;
}

/**
 * Where shaping states and warm-up counters survive restarts. The spool database implements it
 * now (@petrel/spool `Spool.openShapingStore`); a cluster-wide store (Redis) can implement the same.
 */
export interface ShapingStore {
  loadStates(): readonly ShapingState[];
  putState(state: ShapingState): void;
  deleteState(id: string): void;
  loadCounters(): readonly WarmupCounter[];
  putCounters(counters: readonly WarmupCounter[]): void;
  close(): void;
}

/**
 * The MX rollup site of a route: its host names, lower case, sorted and de-duplicated, joined by
 * commas. Two domains whose MX records name the same hosts are one site (KumoMTA's mx_rollup).
 */
export function siteOf(hostNames: readonly string[]): string {
  return [...new Set(hostNames.map((h) => h.toLowerCase().replace(/\.$/, '')))].sort().join(',');
}

/** True when the host name matches the pattern: exact, or `*.suffix` for any name below suffix. */
export function hostMatches(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  const h = host.toLowerCase().replace(/\.$/, '');
  if (p.startsWith('*.')) return h.endsWith(p.slice(1));
  return h === p;
}

/** True when any host of the site (siteOf's comma list) matches any pattern. */
export function siteMatches(patterns: readonly string[], site: string): boolean {
  if (patterns.length === 0 || site === '') return false;
  const hosts = site.split(',');
  return patterns.some((p) => hosts.some((h) => hostMatches(p, h)));
}

/** The id of a state of `kind` over a scope. */
export function shapingStateId(
  kind: ShapingState['kind'],
  scope: ShapingScopeKind,
  where: { readonly binding?: string; readonly domain?: string; readonly site?: string },
): string {
  const parts: string[] = [kind, scope];
  if (scope === 'binding+domain' || scope === 'binding') parts.push(where.binding ?? '');
  if (scope === 'binding+domain' || scope === 'domain') parts.push(where.domain ?? '');
  if (scope === 'site') parts.push(where.binding ?? '', where.site ?? '');
  return parts.join(':');
}

/** True when a state's scope covers the queue (binding, domain) whose site is `site`. */
export function stateCovers(s: ShapingState, binding: string, domain: string, site: string | undefined): boolean {
  switch (s.scope) {
    case 'binding+domain':
      return s.binding === binding && s.domain === domain;
    case 'domain':
      return s.domain === domain;
    case 'binding':
      return s.binding === binding;
    case 'site':
      return site !== undefined && s.site === site && (s.binding === undefined || s.binding === binding);
  }
}
