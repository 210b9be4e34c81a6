/**
 * AUTH (RFC 4954) with PLAIN (RFC 4616) or LOGIN, only over TLS unless allowPlaintext.
 * Momentum logs no stage of its own for AUTH: failures carry 11 (after EHLO).
 */
import { Stage, type SmtpReply } from '@petrel/core';
import { authMechanisms } from '../capabilities.js';
import type { StateContext } from '../context.js';
import { SmtpSessionError } from '../errors.js';
import { internalReply } from '../internal-replies.js';
import type { SmtpState } from '../state.js';

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const MASK = '****';

async function plain(ctx: StateContext, user: string, pass: string): Promise<SmtpReply> {
  // RFC 4954 §4: the initial response saves a round trip; "=" would stand for an empty one.
  const token = b64(`\0${user}\0${pass}`);
  const r = await ctx.exchange(`AUTH PLAIN ${token}`, 'ehlo', `AUTH PLAIN ${MASK}`);
  return r.code === 334 ? ctx.exchange(token, 'ehlo', MASK) : r;
}

async function login(ctx: StateContext, user: string, pass: string): Promise<SmtpReply> {
  let r = await ctx.exchange('AUTH LOGIN', 'ehlo');
  if (r.code !== 334) return r;
  r = await ctx.exchange(b64(user), 'ehlo', MASK);
  if (r.code !== 334) return r;
  return ctx.exchange(b64(pass), 'ehlo', MASK);
}

export const authState: SmtpState = {
  name: 'auth',
  phase: 'session',
  stage: Stage.AFTER_EHLO,
  timeout: 'ehlo',
  applies: (ctx) => ctx.options.auth !== undefined,
  async run(ctx) {
    const auth = ctx.options.auth!;
    if (ctx.tlsInfo === undefined && !auth.allowPlaintext) {
      throw new SmtpSessionError(internalReply('authUnavailable', 'not over TLS'), Stage.AFTER_EHLO, {
        tryNextHost: true,
      });
    }
    const mechs = authMechanisms(ctx.capabilities);
    const mech = ['PLAIN', 'LOGIN'].find((m) => mechs.includes(m));
    if (!mech) {
      ctx.emit('extension-not-available', 'AUTH');
      throw new SmtpSessionError(internalReply('authUnavailable', 'no PLAIN or LOGIN advertised'), Stage.AFTER_EHLO, {
        tryNextHost: true,
      });
    }
    const reply = mech === 'PLAIN' ? await plain(ctx, auth.user, auth.pass) : await login(ctx, auth.user, auth.pass);
    if (reply.code !== 235) {
      // 535 5.7.8: the same credentials fail everywhere, so another host will not help.
      throw new SmtpSessionError(reply, Stage.AFTER_EHLO, { tryNextHost: !reply.isPermanent() });
    }
  },
};
