export { ErrorCodes, PetrelError, isPetrelError, type ErrorCode } from './errors.js';
export { SystemClock, ManualClock, type Clock, type TimerHandle } from './clock.js';
export { newMessageId } from './ids.js';
export { SmtpReply, formatReply, type ReplyData } from './reply.js';
export * from './model.js';
export * from './topics.js';
export { Bus } from './bus.js';
export { createLogger, silentLogger, type Logger } from './logger.js';
export type { Service, ServiceContext } from './service.js';
export { parseHostPort, parseCidr, NetworkList, domainOf, type HostPort } from './net.js';
export { parseDuration, parseSize, parseRate, formatDuration, type Rate } from './config/units.js';
export {
  DELIVERY_OPTIONS,
  BINDING_KEYS,
  ROOT_KEYS,
  LISTENER_KEYS,
  DNS_KEYS,
  SPOOL_KEYS,
  CONTROL_KEYS,
  type ControlOptions,
  BOUNCE_KEYS,
  EVENTLOG_KEYS,
  type BounceOptions,
  type BounceClassConfig,
  type EventlogOptions,
  TLS_POLICY_KEYS,
  type TlsPolicyOptions,
  type OptionSpec,
  type OptionType,
  type DeliveryOptionSpec,
  type DeliveryOptionName,
  type DeliveryOptions,
  type ListenerOptions,
  type DnsOptions,
  type SpoolOptions,
  type RootOptions,
  type ScopeKind,
} from './config/schema.js';
export {
  ScopeResolver,
  DEFAULT_BINDING,
  DEFAULT_GROUP,
  type ScopeTree,
  type BindingDef,
  type BindingGroupDef,
  type OptionTable,
  type Explained,
} from './config/scopes.js';
export { loadConfig, parseConfig, controlSocketOf, type PetrelConfig } from './config/loader.js';
export type {
  BindingRuleEnv,
  ConfigContext,
  ConfigExtension,
  ConfigExtensions,
  LoadOptions,
  OptionTableEnv,
} from './config/extension.js';
export { ROUTING_KEYS, BINDING_RULE_KEYS, type RoutingOptions, type BindingRuleConfig } from './config/schema.js';
export { POLICY_KEYS, type PolicyModuleConfig } from './config/schema.js';
export { HTTP_KEYS, WEBHOOK_KEYS, type HttpOptions, type WebhookConfig } from './config/schema.js';
export { EVENT_RECORD_TYPES } from './config/webhook-entries.js';
export { DKIM_KEYS, DKIM_OPTIONS_KEYS, type DkimKeyConfig, type DkimOptions } from './config/schema.js';
export type { DkimEnv } from './config/extension.js';
export { renderConfigReference } from './config/reference.js';
export { TokenBucket, ThrottleRegistry, type ThrottleOption } from './throttle.js';
export { worldReadableWarning } from './config/file-mode.js';
export { encodeXtext, decodeXtext, encodeUtf8AddrXtext, decodeUtf8Addr } from './xtext.js';
export { parseVerp, verpAddress, type VerpInfo, type VerpOptions } from './verp.js';
export { CLUSTER_KEYS, type ClusterOptions } from './config/schema.js';
export type {
  TokenSource,
  SharedBucketFactory,
  ConnectionLease,
  ConnectionGate,
  SuspensionApply,
  SuspensionShare,
  SharedTable,
  SharedTableApply,
  QueueClusterPorts,
  OutboundClusterPorts,
} from './cluster.js';
export {
  siteOf,
  hostMatches,
  siteMatches,
  shapingStateId,
  stateCovers,
  type ShapingScopeKind,
  type ShapingActionKind,
  type ShapingActionConfig,
  type ShapingDestinations,
  type ShapingRuleConfig,
  type SiteLimitConfig,
  type ShapingRulesConfig,
  type WarmupStep,
  type WarmupConfig,
  type ShapingState,
  type ShapingChanged,
  type SiteLearned,
  type WarmupCounter,
  type ShapingStore,
} from './shaping.js';
export { SHAPING_KEYS, type ShapingOptions } from './config/schema.js';
