/**
 * From one PolicySet to the hook points services expose (listener, routing, outbound): each
 * adapter turns a service's own types into the hook contexts of @petrel/policy and back. A hook
 * point is left undefined when no module defines its hook, so services pay nothing for it.
 */
import type { DeliveryJob, MessageEnvelope } from '@petrel/core';
import type { InboundPolicy, PolicySessionInfo } from '@petrel/listener';
import { InternalReplies, type OutboundPolicy } from '@petrel/outbound';
import { HeaderSection, splitMessage, type MessageInfo, type PolicySet, type SessionInfo } from '@petrel/policy';
import type { BindingTarget, SetBindingHook } from '@petrel/routing';

function params(map: ReadonlyMap<string, string | undefined>): Readonly<Record<string, string | true>> {
  const out: Record<string, string | true> = {};
  for (const [k, v] of map) out[k] = v ?? true;
  return out;
}

function session(s: PolicySessionInfo): SessionInfo {
  return s;
}

export function messageInfo(e: MessageEnvelope): MessageInfo {
  return {
    id: e.id,
    sender: e.sender,
    recipients: e.recipients.map((r) => r.address),
    receivedAt: e.receivedAt,
    size: e.size,
    ...(e.client
      ? {
          client: {
            address: e.client.address,
            ...(e.client.helo !== undefined ? { helo: e.client.helo } : {}),
            ...(e.client.authUser !== undefined ? { authUser: e.client.authUser } : {}),
          },
        }
      : {}),
  };
}

function jobMessage(job: DeliveryJob): MessageInfo {
  return {
    id: job.messageId,
    sender: job.sender,
    recipients: job.recipients.map((r) => r.address),
    receivedAt: job.receivedAt,
    size: job.size,
    ...(job.client
      ? {
          client: {
            address: job.client.address,
            ...(job.client.helo !== undefined ? { helo: job.client.helo } : {}),
            ...(job.client.authUser !== undefined ? { authUser: job.client.authUser } : {}),
          },
        }
      : {}),
  };
}

/** The listener's hook points for a set; undefined when no module has an inbound hook. */
export function inboundAdapter(set: PolicySet): InboundPolicy | undefined {
  const p: { -readonly [K in keyof InboundPolicy]: InboundPolicy[K] } = {};
  if (set.has('connect')) p.connect = (s) => set.inbound('connect', { session: session(s) });
  if (set.has('ehlo')) p.ehlo = (s, helo, esmtp) => set.inbound('ehlo', { session: session(s), helo, esmtp });
  if (set.has('mailFrom'))
    p.mailFrom = (s, sender, map) => set.inbound('mailFrom', { session: session(s), sender, parameters: params(map) });
  if (set.has('rcptTo')) {
    p.rcptTo = (s, r) =>
      set.inbound('rcptTo', {
        session: session(s),
        sender: r.sender,
        recipient: r.recipient,
        domain: r.domain,
        accepted: r.accepted,
        parameters: params(r.params),
      });
  }
  if (set.has('data')) {
    p.data = async (s, msg) => {
      // Split (and join the pieces) only when a hook reads headers or the body: a data hook that
      // only looks at the envelope costs no copy and no parse.
      let split: { head: string; rest: Buffer } | undefined;
      const parts = (): { head: string; rest: Buffer } =>
        (split ??= splitMessage(msg.parts.length === 1 ? msg.parts[0]! : Buffer.concat(msg.parts)));
      const headers = HeaderSection.lazy(() => parts().head);
      let size = 0;
      for (const x of msg.parts) size += x.length;
      const body = (): Buffer => {
        const rest = parts().rest;
        return rest.length >= 2 && rest[0] === 0x0d && rest[1] === 0x0a ? rest.subarray(2) : rest;
      };
      const reply = await set.inbound('data', {
        session: session(s),
        sender: msg.sender,
        recipients: msg.recipients,
        headers,
        body,
        size,
      });
      if (reply) return { reply };
      // Untouched headers: the data goes to the spool as received, not a byte rewritten.
      if (!headers.changed) return undefined;
      return { parts: [Buffer.from(headers.toString(), 'latin1'), parts().rest] };
    };
  }
  return Object.keys(p).length > 0 ? p : undefined;
}

/** Routing's setBinding hook for a set; `exists` checks a target against the running config. */
export function setBindingAdapter(set: PolicySet, exists: (t: BindingTarget) => boolean): SetBindingHook | undefined {
  if (!set.has('setBinding')) return undefined;
  return (envelope, domain, recipients) =>
    set.setBinding({ message: messageInfo(envelope), domain, recipients }, exists);
}

/** A header section as hooks that may only read it see it. */
export function readOnlyHeaders(h: HeaderSection): Pick<HeaderSection, 'get' | 'getAll' | 'has' | 'entries'> {
  return {
    get: (n) => h.get(n),
    getAll: (n) => h.getAll(n),
    has: (n) => h.has(n),
    entries: () => h.entries(),
  };
}

/** Outbound's hook points for a set. */
export function outboundAdapter(set: PolicySet): OutboundPolicy | undefined {
  if (!set.has('beforeDelivery') && !set.machine) return undefined;
  const p: { -readonly [K in keyof OutboundPolicy]: OutboundPolicy[K] } = {};
  if (set.machine) p.machine = set.machine;
  if (set.has('beforeDelivery')) {
    p.beforeDelivery = async (job, body) => {
      const headers = HeaderSection.lazy(() => splitMessage(body).head);
      const r = await set.beforeDelivery({
        message: jobMessage(job),
        binding: job.binding,
        domain: job.domain,
        recipients: job.recipients.map((x) => x.address),
        headers: readOnlyHeaders(headers),
      });
      if (!r.ok) return { defer: InternalReplies.policyFailed };
      const prepend =
        r.headers.length > 0 ? Buffer.from(r.headers.map(([k, v]) => `${k}: ${v}\r\n`).join(''), 'utf8') : undefined;
      return { ...(prepend ? { prepend } : {}), mailParams: r.mailParameters, rcptParams: r.rcptParameters };
    };
  }
  return p;
}

/** A reply as hooks see it: code, enhanced code, text. */
export function replyView(r: { code: number; enhanced?: string; lines: readonly string[] }): {
  code: number;
  enhanced?: string;
  text: string;
} {
  const text = r.lines.join(' ').trim();
  return { code: r.code, ...(r.enhanced !== undefined ? { enhanced: r.enhanced } : {}), text };
}
