/**
 * Momentum's mainlog, bouncelog and rejectlog lines (reference §8; Momentum 4 docs
 * log-formats-mainlog, log-formats-bouncelog, rejectlog), as pure functions of the bus events.
 * mainlog/bouncelog: fields joined by "@", the record type in field 4, time in epoch seconds;
 * the response is the last field and may itself contain "@", so parsers split at most N times.
 * Petrel's ids are used as Momentum's message id (field 1); the batch id (field 2) is the delivery
 * job id; connection ids (field 3) are empty where Petrel has none for the record.
 */
import {
  formatReply,
  type DeliveryAttempt,
  type DeliveryFailed,
  type MessageRejected,
  type MessageSpooled,
} from '@petrel/core';

function secs(ms: number): string {
  return String(Math.floor(ms / 1000));
}

/** Seconds with up to three decimals, trailing zeros dropped ("0.393", "18.53", "3"). */
function fracSecs(ms: number): string {
  return String(Number((Math.max(0, ms) / 1000).toFixed(3)));
}

/** "bob@example.fict" → ["bob", "example.fict"]; "" (null sender) → ["", ""]. */
function split(address: string): [string, string] {
  const at = address.lastIndexOf('@');
  return at < 0 ? [address, ''] : [address.slice(0, at), address.slice(at + 1)];
}

/** Bytes transferred for T/P: the size once the body was on its way (stage ≥ 8), else 0. */
function transferred(stage: number, size: number): number {
  return stage >= 8 && stage <= 9 ? size : 0;
}

/**
 * R: ts@msgid@batchid@connid@R@rcpt_local@rcpt_domain@from_local@from_domain@src_ip@size@protocol@binding_group@binding
 */
export function receptionLines(ev: MessageSpooled): string[] {
  if (ev.recovered) return [];
  const e = ev.envelope;
  const [fl, fd] = split(e.sender);
  // Binding is assigned by routing after reception; Momentum logs the default group here too.
  return e.recipients.map((r) => {
    const [rl, rd] = split(r.address);
    return [
      secs(e.receivedAt),
      e.id,
      '',
      '',
      'R',
      rl,
      rd,
      fl,
      fd,
      e.client?.address ?? '',
      e.size,
      e.protocol,
      'default',
      'default',
    ].join('@');
  });
}

/**
 * D: ts@msgid@batchid@connid@D@dest_domain@size@binding_group@binding@num_retries@secs_since_reception@accepting_ip
 * T/P: ts@msgid@batchid@connid@T@dest_domain@bytes_transferred@binding_group@binding@stage@num_retries@secs@
 *   remote_ip@response (one line; wrapped here)
 */
export function attemptLines(a: DeliveryAttempt): string[] {
  const j = a.job;
  const ts = secs(a.finishedAt);
  const age = fracSecs(a.finishedAt - j.receivedAt);
  const ip = a.remote?.ip ?? '';
  return a.outcomes.map((o) => {
    if (o.status === 'delivered')
      return [ts, j.messageId, j.id, '', 'D', j.domain, j.size, j.bindingGroup, j.binding, j.attempts, age, ip].join(
        '@',
      );
    const type = o.status === 'transient' ? 'T' : 'P';
    return [
      ts,
      j.messageId,
      j.id,
      '',
      type,
      j.domain,
      transferred(o.stage, j.size),
      j.bindingGroup,
      j.binding,
      o.stage,
      j.attempts,
      age,
      ip,
      formatReply(o.reply),
    ].join('@');
  });
}

/** P per recipient of a failure without a remote reply (expiry, policy): stage 0, no remote ip. */
export function failureLines(f: DeliveryFailed, now: number): string[] {
  const j = f.job;
  return f.indexes.map(() =>
    [
      secs(now),
      j.messageId,
      j.id,
      '',
      'P',
      j.domain,
      0,
      j.bindingGroup,
      j.binding,
      0,
      j.attempts,
      fracSecs(now - j.receivedAt),
      '',
      formatReply(f.reply),
    ].join('@'),
  );
}

/**
 * B: ts@msgid@batchid@connid@B@rcpt_local@rcpt_domain@from_local@from_domain@binding_group@binding@stage@
 *   bounce_class@size@remote_ip@raw_response (one line; wrapped here)
 */
export function bounceLine(p: {
  time: number;
  messageId: string;
  batchId: string;
  recipient: string;
  sender: string;
  bindingGroup: string;
  binding: string;
  stage: number;
  bounceClass: number;
  size: number;
  remoteIp: string;
  response: string;
}): string {
  const [rl, rd] = split(p.recipient);
  const [fl, fd] = split(p.sender);
  return [
    secs(p.time),
    p.messageId,
    p.batchId,
    '',
    'B',
    rl,
    rd,
    fl,
    fd,
    p.bindingGroup,
    p.binding,
    p.stage,
    p.bounceClass,
    p.size,
    p.remoteIp,
    p.response,
  ].join('@');
}

/**
 * rejectlog: `ts: R="ip:port" L="ip:port" C="connid" PATH="default" PATH_GRP="default" P="phase"
 * E=code M=module CTXCONN=[] CTXMESS=[] text`.
 */
export function rejectLine(ev: MessageRejected): string {
  const text = [ev.reply.enhanced, ev.reply.lines.join(' ').trim()]
    .filter((s) => s !== undefined && s !== '')
    .join(' ');
  return (
    `${secs(ev.time)}: R="${ev.client.address}:${ev.client.port}" L="${ev.localAddress ?? ''}" ` +
    `C="${ev.connectionId}" PATH="default" PATH_GRP="default" P="${ev.phase}" E=${ev.reply.code} M=listener ` +
    `CTXCONN=[] CTXMESS=[] ${text}`
  );
}

/** Heartbeats: mainlog `ts@@@@M`, bouncelog `ts@@@@M1`, rejectlog `ts: Marker 1`. */
export const heartbeat = {
  mainlog: (ms: number): string => `${secs(ms)}@@@@M`,
  bouncelog: (ms: number): string => `${secs(ms)}@@@@M1`,
  rejectlog: (ms: number): string => `${secs(ms)}: Marker 1`,
} as const;
