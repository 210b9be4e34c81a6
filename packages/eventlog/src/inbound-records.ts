/**
 * Records of the feedback loop (docs/feedback-loop.md, docs/logs.md): `out_of_band` per recipient
 * of a bounce or auto-reply (stage 21, Momentum's out-of-band stage), `feedback` per complaint,
 * `unparsed_report` for mail to a return-path domain that could not be read (with where it is
 * kept), and the `permanent_failure` (class 25) of a recipient accepted and failed as suppressed.
 */
import { formatReply, Stage, type InboundReported, type SuppressionEnforced } from '@petrel/core';
import type { EventRecord } from './records.js';

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function clean(fields: Record<string, unknown>): EventRecord {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) out[k] = v;
  return out as unknown as EventRecord;
}

function domainOf(address: string): string | undefined {
  const at = address.lastIndexOf('@');
  return at < 0 ? undefined : address.slice(at + 1).toLowerCase();
}

export function inboundRecords(ev: InboundReported): EventRecord[] {
  const r = ev.report;
  const time = iso(ev.time);
  const common = {
    message_id: r.messageId,
    report_id: ev.id,
    report_format: r.format,
    tied_by: r.tiedBy,
    original_message_id: r.originalMessageId,
    client_ip: ev.clientIp,
    size: ev.size,
  };
  const suppressed = new Set(ev.suppressed);
  switch (r.kind) {
    case 'unparsed':
      return [
        clean({
          time,
          type: 'unparsed_report',
          ...common,
          recipient: r.verp?.recipient,
          reason: r.reason,
          stored_at: ev.storedAt,
        }),
      ];
    case 'feedback':
      return (r.recipients.length > 0 ? r.recipients : [undefined]).map((x) =>
        clean({
          time,
          type: 'feedback',
          ...common,
          recipient: x?.address,
          domain: x ? domainOf(x.address) : undefined,
          feedback_type: r.feedback?.feedbackType,
          user_agent: r.feedback?.userAgent,
          remote_ip: r.feedback?.sourceIp,
          suppressed: x && suppressed.has(x.address.toLowerCase()) ? true : undefined,
        }),
      );
    case 'bounce':
    case 'auto_reply':
      return r.recipients.map((x) =>
        clean({
          time,
          type: 'out_of_band',
          ...common,
          recipient: x.address,
          domain: domainOf(x.address),
          final_recipient: x.finalRecipient,
          remote_host: x.remoteMta,
          reply: formatReply(x.reply),
          code: x.reply.code,
          enhanced: x.reply.enhanced,
          bounce_class: x.bounceClass,
          bounce_class_name: x.bounceClassName,
          stage: Stage.OUT_OF_BAND,
          action: x.action,
          reason: r.kind === 'auto_reply' ? r.reason : undefined,
          suppressed: suppressed.has(x.address.toLowerCase()) ? true : undefined,
        }),
      );
  }
}

/** accept_and_fail: the suppressed recipient's permanent failure, class 25 Admin Failure. */
export function suppressionRecord(ev: SuppressionEnforced): EventRecord {
  return clean({
    time: iso(ev.time),
    type: 'permanent_failure',
    message_id: ev.messageId,
    sender: ev.sender,
    recipient: ev.recipient,
    domain: domainOf(ev.recipient),
    reply: formatReply(ev.reply),
    code: ev.reply.code,
    enhanced: ev.reply.enhanced,
    bounce_class: 25,
    bounce_class_name: 'Admin Failure',
    stage: Stage.DURING_RCPT_TO,
    client_ip: ev.clientIp,
    suppressed: true,
    suppression_reason: ev.entry.reason,
  });
}
