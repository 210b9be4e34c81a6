// A custom JSON logger (Momentum custom_logger): one line per delivery, failure and rejection,
// appended to the file named by PETREL_POLICY_JSON_LOG (default ./policy-events.jsonl).
// Observers are fire-and-forget: they run after the fact and never slow the mail path.
import { appendFile } from 'node:fs/promises';

// biome-ignore lint/suspicious/noUndeclaredEnvVars: read by the running module, not a build input for turbo
const FILE = process.env.PETREL_POLICY_JSON_LOG ?? 'policy-events.jsonl';
const line = (type, fields) =>
  appendFile(FILE, `${JSON.stringify({ time: new Date().toISOString(), type, ...fields })}\n`);

/** @type {import('@petrel/policy').Policy} */
export default {
  onReception: (e) =>
    line('reception', {
      id: e.message.id,
      sender: e.message.sender,
      recipients: e.message.recipients,
      protocol: e.protocol,
    }),
  onDelivery: (e) =>
    line('delivery', { id: e.messageId, recipient: e.recipient, reply: `${e.reply.code} ${e.reply.text}` }),
  onTransientFailure: (e) =>
    line('transient', { id: e.messageId, recipient: e.recipient, reply: `${e.reply.code} ${e.reply.text}` }),
  onPermanentFailure: (e) =>
    line('permanent', {
      id: e.messageId,
      recipient: e.recipient,
      reply: `${e.reply.code} ${e.reply.text}`,
      reason: e.reason,
    }),
  onRejection: (e) =>
    line('rejection', {
      phase: e.phase,
      client: e.client.address,
      sender: e.sender,
      recipient: e.recipient,
      reply: e.reply,
    }),
};
