/**
 * @petrel/routing: binding assignment, delivery jobs, routes (MX, routes entries or gateway) and DNS.
 * Only what is named here is public.
 */
export { RoutingService, type RoutingServiceOptions } from './routing-service.js';
export { ROUTING_REPLIES, type RoutingReplyName } from './replies.js';
export {
  Assigner,
  pickWeighted,
  type Assignment,
  type AssignerOptions,
} from './assign/assigner.js';
export {
  recipientDomainRule,
  senderDomainRule,
  type AssignmentInput,
  type AssignmentRule,
  type AssignmentTarget,
  type DomainPattern,
} from './assign/rules.js';
export type { BindingTarget, SetBindingHook, SetBindingSource } from './assign/policy-binding.js';
export { buildJobs, type BuildJobsInput, type BuildJobsResult } from './jobs.js';
export {
  createDnsClient,
  isNullMx,
  type DnsClient,
  type MxRecordData,
  type AddressRecordData,
} from './dns/dns-client.js';
export {
  CachingResolver,
  MX_TTL_MS,
  NEGATIVE_TTL_MS,
  type CachingResolverOptions,
  type DnsAnswer,
} from './dns/caching-resolver.js';
export { familiesFor, type Family, type ResolvedAddress } from './route/addresses.js';
export {
  explainMx,
  orderByPreference,
  type MxExplanation,
  type MxHostExplained,
  type MxFailureReason,
  type ExplainMxOptions,
} from './route/mx.js';
export { explainGateway, type GatewayHostExplained } from './route/gateway.js';
export { explainRoutes, type RouteEntryExplained, type RouteEntryFailure } from './route/routes.js';
export {
  RouteResolver,
  ehloName,
  type RouteExplanation,
  type RoutedHost,
  type RouteResolverOptions,
} from './route/route-resolver.js';
export { explainRecipient, type RecipientExplanation, type ExplainRecipientOptions } from './explain.js';
export { rulesFromConfig, ruleFromConfig, rulesNeedHeaders, BINDING_HEADERS } from './assign/config-rules.js';
export { headerBlock, headerValue } from './assign/headers.js';
export { checkSecretsReadable, hasGatewayPassword } from './secrets.js';
export { routingConfigExtensions } from './config/extensions.js';
export { domainPatternOf } from './config/binding-rules.js';
export {
  parseRouteEntry,
  parseRouteEntries,
  ROUTES_DOMAIN_MX,
  ROUTE_ENTRY_FORM,
  type RouteEntry,
} from './config/route-entries.js';
