/**
 * How TLS is decided for one host of a route (docs/tls-policy.md): DANE first (RFC 8461 §2: DANE
 * takes precedence over MTA-STS), then the domain's MTA-STS policy, then the configured
 * opportunistic or no-TLS policy. A plan says whether the host may be used at all and with which
 * session options; what happened is then reported as a TlsOutcome (delivery records, TLS-RPT).
 */
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import {
  Stage,
  type DeliveryOptions,
  type RouteHost,
  type TlsFailureType,
  type TlsOutcome,
  type TlsPolicyKind,
} from '@petrel/core';
import { mxMatches, type SessionOptions, type SmtpSessionError } from '@petrel/smtp-client';
import type { HostsRoute } from './route.js';

export interface TlsPlan {
  readonly policy: TlsPolicyKind;
  readonly mode?: 'enforce' | 'testing';
  /** Set when the host must not be used (MTA-STS enforce: not in the policy's mx; DANE lookup failure). */
  readonly skip?: { readonly failure: TlsFailureType; readonly detail: string };
  /** A failure known before connecting that the session is still reported with (MTA-STS testing). */
  readonly observed?: { readonly failure: TlsFailureType; readonly detail: string };
  /** Session options replacing the configured tls / tlsVerify. */
  readonly options: Pick<SessionOptions, 'tls'> & Partial<Pick<SessionOptions, 'tlsAuth' | 'tlsCa'>>;
  /** RFC 8460 §4.3 policy-string. */
  readonly policyString?: readonly string[];
}

/** The plan for `host` of `route` in `domain` under the (binding, domain) policy. */
export function planTls(
  route: HostsRoute,
  host: RouteHost,
  domain: string,
  policy: DeliveryOptions,
  mtaStsCa: readonly string[] | undefined,
): TlsPlan {
  const dane = host.dane;
  if (dane) {
    const policyString = 'records' in dane ? dane.records.map(tlsaString) : undefined;
    const base = { policy: 'dane' as const, ...(policyString ? { policyString } : {}) };
    switch (dane.kind) {
      case 'tlsa':
        // RFC 7672 §3.2.2: reference identifiers are the MX host name and the next-hop domain.
        return {
          ...base,
          options: { tls: 'required', tlsAuth: { kind: 'dane', records: dane.records, names: [host.name, domain] } },
        };
      case 'unusable':
        return { ...base, options: { tls: 'required', tlsAuth: { kind: 'encrypt' } } };
      case 'failure':
        return { ...base, skip: { failure: 'dnssec-invalid', detail: dane.reason }, options: { tls: 'required' } };
      default: {
        const never: never = dane;
        return never;
      }
    }
  }
  const sts = route.mtaSts;
  if (sts) {
    const enforce = sts.mode === 'enforce';
    const base = { policy: 'mta-sts' as const, mode: sts.mode, policyString: sts.lines };
    const ca = mtaStsCa;
    const options = {
      tls: enforce ? ('required' as const) : policy.tls,
      tlsAuth: { kind: 'mta-sts' as const, name: host.name, enforce },
      ...(ca ? { tlsCa: [...ca] } : {}),
    };
    // RFC 8461 §4.1: an MX host that matches no `mx` pattern is not used under enforce.
    if (!mxMatches(host.name, sts.mx)) {
      const miss = {
        failure: 'validation-failure' as const,
        detail: `MX host ${host.name} is not in the MTA-STS policy`,
      };
      return enforce ? { ...base, skip: miss, options } : { ...base, observed: miss, options };
    }
    return { ...base, options };
  }
  return { policy: policy.tls === 'no' ? 'none' : 'opportunistic', options: { tls: policy.tls } };
}

/** A TLSA record as TLS-RPT prints it: "3 1 1 <hex>" (RFC 8460 §4.3 policy-string for DANE). */
function tlsaString(r: { usage: number; selector: number; matchingType: number; data: string }): string {
  return `${r.usage} ${r.selector} ${r.matchingType} ${r.data}`;
}

/** The outcome of a session that opened under `plan`, from the session's TLS state and verdict. */
export function openedOutcome(
  plan: TlsPlan,
  tls: unknown,
  verdict: { ok: boolean; failure?: TlsFailureType } | undefined,
): TlsOutcome {
  const mode = plan.mode ? { mode: plan.mode } : {};
  const failure = verdict && !verdict.ok ? verdict.failure : plan.observed?.failure;
  if (failure) return { policy: plan.policy, result: 'failure', failure, ...mode };
  if (!tls) return { policy: plan.policy, result: 'plaintext', ...mode };
  return { policy: plan.policy, result: 'success', ...mode };
}

/** The TLS-RPT result type of a session that failed on TLS under a policy. */
export function failureOf(err: SmtpSessionError): TlsFailureType {
  const code = (err.cause as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && FAILURE_TYPES.has(code)) return code as TlsFailureType;
  return err.stage === Stage.DURING_STARTTLS ? 'starttls-not-supported' : 'validation-failure';
}

const FAILURE_TYPES = new Set<string>([
  'starttls-not-supported',
  'certificate-host-mismatch',
  'certificate-expired',
  'certificate-not-trusted',
  'validation-failure',
  'tlsa-invalid',
  'dnssec-invalid',
  'dane-required',
]);

/**
 * The CAs an MX certificate is checked against under MTA-STS: Node's root store plus the
 * operator's `[tls_policy] mta_sts_ca_file`, read once per path (a reload naming another file
 * reads it); undefined without a file (Node's default store applies).
 */
export class MtaStsCa {
  private memo: { readonly file: string; readonly pem: readonly string[] } | undefined;

  get(file: string | undefined): readonly string[] | undefined {
    if (file === undefined) return undefined;
    if (this.memo?.file !== file) {
      let extra: string[] = [];
      try {
        extra = [readFileSync(file, 'utf8')];
      } catch {
        // Unreadable: routing logs it at policy fetch; the root store alone is used.
      }
      this.memo = { file, pem: [...rootCertificates, ...extra] };
    }
    return this.memo.pem;
  }
}
