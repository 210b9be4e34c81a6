/**
 * Server authentication demanded by a TLS policy, checked after the handshake and before a word is
 * sent over it: MTA-STS (RFC 8461 §4.2: a Web PKI chain and the MX host's name) and DANE (RFC 7672
 * §3: the chain or key matches a TLSA record). The handshake itself accepts any certificate; this
 * verdict decides, so that a failure can be told apart (expired, untrusted, name, TLSA) for TLS-RPT.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { checkServerIdentity, type DetailedPeerCertificate, type TLSSocket } from 'node:tls';
import type { TlsaRecordData, TlsFailureType } from '@petrel/core';

/** What a policy asks of the server's certificate; `enforce` false only observes (MTA-STS testing). */
export type TlsAuthPolicy =
  /** MTA-STS: PKIX chain to a trusted root, valid for `name` (the MX host). */
  | { readonly kind: 'mta-sts'; readonly name: string; readonly enforce: boolean }
  /** DANE: a usable TLSA record matches (RFC 7672 §3.1); `names` are the reference identifiers for DANE-TA. */
  | { readonly kind: 'dane'; readonly records: readonly TlsaRecordData[]; readonly names: readonly string[] }
  /** DANE with an unusable TLSA set: TLS is mandatory but not authenticated (RFC 7672 §2.2). */
  | { readonly kind: 'encrypt' };

export type TlsVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly failure: TlsFailureType; readonly detail: string };

/** OpenSSL verify results → RFC 8460 §4.3.2 result types. */
function pkixFailure(code: string): TlsFailureType {
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return 'certificate-expired';
  if (/SELF_SIGNED|UNABLE_TO_GET_ISSUER|UNABLE_TO_VERIFY_LEAF|CERT_UNTRUSTED|CERT_CHAIN_TOO_LONG/.test(code))
    return 'certificate-not-trusted';
  return 'validation-failure';
}

/** Judges the server of an established TLS socket under the policy. */
export function judgeTls(socket: TLSSocket, policy: TlsAuthPolicy, now: number = Date.now()): TlsVerdict {
  switch (policy.kind) {
    case 'encrypt':
      return { ok: true };
    case 'mta-sts': {
      if (!socket.authorized) {
        const code = String(socket.authorizationError ?? 'UNKNOWN');
        return { ok: false, failure: pkixFailure(code), detail: code };
      }
      const err = checkServerIdentity(policy.name, socket.getPeerCertificate());
      return err ? { ok: false, failure: 'certificate-host-mismatch', detail: err.message } : { ok: true };
    }
    case 'dane':
      return daneVerdict(peerChain(socket), policy.records, policy.names, now);
    default: {
      const never: never = policy;
      return never;
    }
  }
}

/** The certificates the peer sent, leaf first (issuer links of the detailed peer certificate). */
export function peerChain(socket: TLSSocket): X509Certificate[] {
  const out: X509Certificate[] = [];
  let c: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  const seen = new Set<DetailedPeerCertificate>();
  while (c?.raw && !seen.has(c) && out.length < 16) {
    seen.add(c);
    out.push(new X509Certificate(c.raw));
    c = c.issuerCertificate;
  }
  return out;
}

/** RFC 6698 §2.1.2–2.1.3: the selected part (full certificate or SPKI) hashed per matching type. */
function associationData(cert: X509Certificate, selector: number, matchingType: number): string | undefined {
  const part =
    selector === 0 ? cert.raw : selector === 1 ? cert.publicKey.export({ type: 'spki', format: 'der' }) : undefined;
  if (!part) return undefined;
  switch (matchingType) {
    case 0:
      return part.toString('hex');
    case 1:
      return createHash('sha256').update(part).digest('hex');
    case 2:
      return createHash('sha512').update(part).digest('hex');
    default:
      return undefined;
  }
}

function matches(cert: X509Certificate, r: TlsaRecordData): boolean {
  return associationData(cert, r.selector, r.matchingType) === r.data.toLowerCase();
}

/**
 * RFC 7672 §3.1: DANE-EE(3) matches the leaf and skips name and validity checks (§3.1.1);
 * DANE-TA(2) matches a certificate of the chain the server sent, the leaf must chain to it by
 * signature, be within its validity period, and carry one of the reference names (§3.2.2).
 */
export function daneVerdict(
  chain: readonly X509Certificate[],
  records: readonly TlsaRecordData[],
  names: readonly string[],
  now: number,
): TlsVerdict {
  const leaf = chain[0];
  if (!leaf) return { ok: false, failure: 'tlsa-invalid', detail: 'no certificate' };
  for (const r of records) if (r.usage === 3 && matches(leaf, r)) return { ok: true };
  for (const r of records) {
    if (r.usage !== 2) continue;
    const ta = chain.findIndex((c) => matches(c, r));
    if (ta < 0) continue;
    if (!chainsTo(chain, ta, now)) continue;
    if (!names.some((n) => leaf.checkHost(n) !== undefined))
      return {
        ok: false,
        failure: 'certificate-host-mismatch',
        detail: `certificate not valid for ${names.join(', ')}`,
      };
    return { ok: true };
  }
  return { ok: false, failure: 'tlsa-invalid', detail: 'no TLSA record matches the certificate chain' };
}

/** Each certificate below `ta` is issued and signed by the next one and valid now. */
function chainsTo(chain: readonly X509Certificate[], ta: number, now: number): boolean {
  for (let i = 0; i < ta; i++) {
    const c = chain[i]!;
    const issuer = chain[i + 1]!;
    if (!c.checkIssued(issuer) || !c.verify(issuer.publicKey)) return false;
    if (Date.parse(c.validFrom) > now || Date.parse(c.validTo) < now) return false;
  }
  return true;
}

/**
 * RFC 8461 §4.1: an MX host matches a policy pattern exactly, or a "*.example.com" pattern by
 * replacing its left-most label only ("mx.example.com" matches; "a.b.example.com" and
 * "example.com" do not).
 */
export function mxMatches(host: string, patterns: readonly string[]): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  for (const p of patterns) {
    if (p.startsWith('*.')) {
      const dot = h.indexOf('.');
      if (dot > 0 && h.slice(dot + 1) === p.slice(2)) return true;
    } else if (h === p) return true;
  }
  return false;
}
