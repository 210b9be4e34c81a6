/**
 * STARTTLS (RFC 3207) per policy: 'no' never; 'ifavailable' when advertised; 'required' or fail.
 * Stages 15 (during STARTTLS), 17 (handshaking TLS), 16 (after STARTTLS).
 */
import { isIP } from 'node:net';
import { checkServerIdentity, type ConnectionOptions, type PeerCertificate, type TLSSocket } from 'node:tls';
import { Stage } from '@petrel/core';
import type { StateContext } from '../context.js';
import { SmtpSessionError } from '../errors.js';
import { internalReply } from '../internal-replies.js';
import type { SmtpState } from '../state.js';
import { judgeTls } from '../tls-auth.js';

/** tls_verify: 'no' accepts any certificate; 'ca' checks the chain; 'host' the chain and the MX name. */
export function tlsOptions(ctx: StateContext): ConnectionOptions {
  const o = ctx.options;
  const name = o.hostname ?? o.host;
  // Under an enforcing TLS policy the handshake takes any certificate and judgeTls decides after it
  // (tls-auth.ts). MTA-STS testing only observes: the configured tls_verify still applies in full.
  const a = o.tlsAuth;
  const policy = a !== undefined && (a.kind !== 'mta-sts' || a.enforce);
  return {
    // RFC 6066 §3: SNI carries host names only, never an address literal.
    ...(isIP(name) === 0 ? { servername: name } : {}),
    ...(o.tlsCa !== undefined ? { ca: o.tlsCa as ConnectionOptions['ca'] } : {}),
    rejectUnauthorized: !policy && o.tlsVerify !== 'no',
    checkServerIdentity: (_host: string, cert: PeerCertificate) =>
      !policy && o.tlsVerify === 'host' ? checkServerIdentity(name, cert) : undefined,
  };
}

export const starttlsState: SmtpState = {
  name: 'starttls',
  phase: 'session',
  stage: Stage.DURING_STARTTLS,
  afterStage: Stage.AFTER_STARTTLS,
  timeout: 'ehlo', // Momentum has no STARTTLS timeout of its own; the EHLO wait bounds it
  applies: (ctx) => ctx.options.tls !== 'no' && ctx.tlsInfo === undefined && !ctx.skipStarttls,
  async run(ctx) {
    const auth = ctx.options.tlsAuth;
    // MTA-STS enforce and DANE make TLS mandatory (RFC 8461 §5, RFC 7672 §2.2); MTA-STS testing observes.
    const enforce = auth !== undefined && (auth.kind !== 'mta-sts' || auth.enforce);
    const required = ctx.options.tls === 'required' || enforce;
    if (!ctx.has('STARTTLS')) {
      if (auth) ctx.tlsVerdict = { ok: false, failure: 'starttls-not-supported', detail: 'STARTTLS not advertised' };
      if (required)
        throw new SmtpSessionError(internalReply('tlsRequired'), Stage.DURING_STARTTLS, { tryNextHost: true });
      ctx.emit('extension-not-available', 'STARTTLS');
      return;
    }
    const reply = await ctx.exchange('STARTTLS', 'ehlo');
    if (reply.code !== 220) {
      // RFC 3207 §4: 454 = TLS not available now; opportunistic policy carries on in plaintext.
      if (auth) ctx.tlsVerdict = { ok: false, failure: 'starttls-not-supported', detail: `STARTTLS: ${reply.code}` };
      if (required || reply.code === 421)
        throw new SmtpSessionError(reply, Stage.DURING_STARTTLS, { tryNextHost: true });
      ctx.emit('extension-not-available', 'STARTTLS');
      return;
    }
    const conn = ctx.requireConn();
    if (conn.pendingBytes > 0) {
      // RFC 3207 §5 (and CVE-2011-0411): bytes after the 220 would be taken as TLS-protected. Refuse.
      conn.destroy();
      throw new SmtpSessionError(internalReply('noTlsGoAhead'), Stage.DURING_STARTTLS, { tryNextHost: true });
    }
    ctx.stage = Stage.HANDSHAKING_TLS;
    let tls: TLSSocket;
    try {
      tls = await conn.upgrade(tlsOptions(ctx), ctx.timeout('ehlo'));
      ctx.tlsInfo = { protocol: tls.getProtocol() ?? 'unknown', cipher: tls.getCipher()?.name ?? 'unknown' };
    } catch (err) {
      if (auth) ctx.tlsVerdict = { ok: false, failure: 'validation-failure', detail: String(err) };
      if (!required && ctx.options.tlsFallback !== false) {
        // tls_ifavailable_fallback: the socket is gone; start over in plaintext, without STARTTLS.
        ctx.skipStarttls = true;
        ctx.emit('extension-not-available', 'STARTTLS');
        ctx.next('connect');
        return;
      }
      throw new SmtpSessionError(internalReply('tlsFailed'), Stage.HANDSHAKING_TLS, { tryNextHost: true, cause: err });
    }
    if (auth) {
      const verdict = judgeTls(tls, auth);
      ctx.tlsVerdict = verdict;
      if (!verdict.ok && enforce) {
        // Nothing has been said over this channel yet: drop it, and the host is not used (RFC 8461 §5).
        conn.destroy();
        const cause = Object.assign(new Error(verdict.detail), { code: verdict.failure });
        throw new SmtpSessionError(internalReply('tlsAuthFailed'), Stage.HANDSHAKING_TLS, { tryNextHost: true, cause });
      }
    }
    // RFC 3207 §4.2: forget everything learnt before TLS and ask again.
    ctx.capabilities = new Map();
    ctx.next('ehlo');
  },
};
