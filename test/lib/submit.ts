import assert from 'node:assert/strict';
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import { swaks } from '@petrel/testkit';

/** A nodemailer transport to Petrel's listener on 127.0.0.1:`port`, in plain text (no STARTTLS). */
export function listenerTransport(
  port: number,
  pool: { pool?: boolean; maxConnections?: number } = {},
): Transporter<SMTPTransport.SentMessageInfo> {
  return nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, ...pool });
}

/** swaks to Petrel's listener on 127.0.0.1:`port`: MAIL FROM `from`, RCPT TO `to` (comma-separated for several), then `more` options. */
export function swaksVia(
  port: number,
  from: string,
  to: string,
  more: readonly string[] = [],
): Promise<{ code: number | null; out: string }> {
  return swaks(['--server', `127.0.0.1:${port}`, '--from', from, '--to', to, ...more]);
}

/** swaksVia that must be accepted: the spool id from Petrel's `250 … queued as ID`. */
export async function swaksQueued(port: number, from: string, to: string): Promise<string> {
  const r = await swaksVia(port, from, to);
  assert.equal(r.code, 0, r.out);
  const queued = /queued as (\S+)/.exec(r.out);
  assert.ok(queued, `no queued-as reply in:\n${r.out}`);
  return queued[1]!;
}

/**
 * One message (Message-ID `<id>`, ~2,000 lines of `id`) on its own connection with nodemailer;
 * resolves to the SMTP reply line: `250 …`, or the refusal (e.g. 452 on a full disk).
 */
export async function sendAlone(port: number, id: string): Promise<string> {
  const t = listenerTransport(port);
  try {
    const info = await t.sendMail({
      from: 'sender@test.local',
      to: 'rcpt@example.test',
      subject: id,
      messageId: `<${id}>`,
      text: `${id}\n`.repeat(2000),
    });
    return info.response;
  } catch (e) {
    return String((e as { response?: string }).response ?? (e as Error).message);
  } finally {
    t.close();
  }
}

/** Sends one small message per recipient over one pooled nodemailer connection; each Message-ID is `<prefix-i@test.local>`. */
export async function sendEach(port: number, recipients: readonly string[], prefix: string): Promise<void> {
  const t = listenerTransport(port, { pool: true });
  try {
    for (const [i, to] of recipients.entries())
      await t.sendMail({
        from: 'a@test.local',
        to,
        subject: `${prefix} ${i}`,
        messageId: `<${prefix}-${i}@test.local>`,
        text: 'x\n',
      });
  } finally {
    t.close();
  }
}
