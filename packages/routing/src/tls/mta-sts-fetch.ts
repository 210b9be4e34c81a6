/**
 * Fetches an MTA-STS policy file (RFC 8461 §3.3): HTTPS GET of
 * `https://mta-sts.<domain>/.well-known/mta-sts.txt`, the host resolved through routing's resolver
 * (never the system's), the certificate checked against the Web PKI (plus an operator CA) and the
 * name `mta-sts.<domain>`. No redirects are followed (§3.3), only a 200 with media type text/plain
 * counts, and the body is bounded.
 */
import { request } from 'node:https';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';

/** What a fetch needs: where to connect and whom to trust. */
export interface PolicyFetchOptions {
  /** Resolves a host name to an address to connect to (routing's cached resolver), or undefined. */
  readonly lookup: (name: string) => Promise<{ address: string; family: 4 | 6 } | undefined>;
  /** HTTPS port; 443 in production. */
  readonly port: number;
  /** Trusted CAs (PEM); undefined = Node's root store. */
  readonly ca?: readonly string[];
  /** Bound on the whole fetch, ms. */
  readonly timeoutMs: number;
}

export type FetchResult =
  | { readonly ok: true; readonly text: string }
  /** `webpki`: the certificate of the policy host failed (TLS-RPT sts-webpki-invalid); else a fetch error. */
  | { readonly ok: false; readonly reason: string; readonly webpki: boolean };

/** §3.3 does not fix a size; 64 KiB is what common implementations accept. */
export const MAX_POLICY_BYTES = 64 * 1024;

/** GETs the policy of `domain`; never rejects. */
export async function fetchMtaStsPolicy(domain: string, options: PolicyFetchOptions): Promise<FetchResult> {
  const host = `mta-sts.${domain}`;
  const addr = await options.lookup(host);
  if (!addr) return { ok: false, reason: `${host} has no address`, webpki: false };
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: FetchResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(r);
    };
    const req = request(
      {
        host: addr.address,
        family: addr.family,
        port: options.port,
        path: '/.well-known/mta-sts.txt',
        method: 'GET',
        servername: host,
        headers: { host: options.port === 443 ? host : `${host}:${options.port}`, accept: 'text/plain' },
        agent: false,
        ...(options.ca ? { ca: [...options.ca] } : {}),
        checkServerIdentity: (_h: string, cert: PeerCertificate) => checkServerIdentity(host, cert),
      },
      (res) => {
        // §3.3: "Senders MUST NOT follow HTTP redirects"; anything but 200 is a failed fetch.
        if (res.statusCode !== 200) return done({ ok: false, reason: `HTTP status ${res.statusCode}`, webpki: false });
        const type = (res.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        if (type !== 'text/plain')
          return done({ ok: false, reason: `media type ${JSON.stringify(type)}, expected text/plain`, webpki: false });
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_POLICY_BYTES)
            done({ ok: false, reason: `policy larger than ${MAX_POLICY_BYTES} bytes`, webpki: false });
          else chunks.push(c);
        });
        res.on('end', () => done({ ok: true, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (err) => done({ ok: false, reason: err.message, webpki: false }));
      },
    );
    const timer = setTimeout(
      () => done({ ok: false, reason: `no policy within ${options.timeoutMs} ms`, webpki: false }),
      options.timeoutMs,
    );
    req.on('error', (err: Error & { code?: string }) =>
      done({ ok: false, reason: `${host}: ${err.code ?? ''} ${err.message}`.trim(), webpki: isCertificateError(err) }),
    );
    req.end();
  });
}

/** OpenSSL verify results and Node's name check: the policy host's certificate is at fault. */
function isCertificateError(err: { code?: string }): boolean {
  const c = err.code ?? '';
  return /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|HOSTNAME|ALTNAME/.test(c);
}
