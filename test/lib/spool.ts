import Database from 'better-sqlite3';
import { join } from 'node:path';
import { newMessageId } from '@petrel/core';

/** Messages still in a (stopped) Petrel spool, read straight from its SQLite file. */
export function spoolMessageCount(spoolDir: string): number {
  const db = new Database(join(spoolDir, 'spool.db'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/**
 * Writes `count` pending one-recipient messages straight into a (stopped) Petrel spool whose schema
 * the daemon already created: a queue far larger than SMTP could fill in a test's time. Message `i`
 * goes to `rcpt<i>@<domains[i % domains.length]>` with Message-ID `<prefix-i@test.local>`; returns the ids.
 */
export function fillSpool(spoolDir: string, count: number, domains: readonly string[], prefix: string): string[] {
  const db = new Database(join(spoolDir, 'spool.db'), { fileMustExist: true });
  const ids: string[] = [];
  try {
    const insM = db.prepare('INSERT INTO messages (id, envelope, received_at, size, body) VALUES (?, ?, ?, ?, ?)');
    const insR = db.prepare(
      "INSERT INTO recipients (message_id, idx, status, attempts, next_attempt_at) VALUES (?, 0, 'pending', 0, 0)",
    );
    const now = Date.now();
    db.transaction(() => {
      for (let i = 0; i < count; i++) {
        const id = newMessageId();
        const domain = domains[i % domains.length]!;
        const messageId = `${prefix}-${i}@test.local`;
        const body = Buffer.from(
          `From: <sender@test.local>\r\nTo: <rcpt${i}@${domain}>\r\nSubject: ${prefix} ${i}\r\n` +
            `Message-ID: <${messageId}>\r\n\r\nmessage ${i}\r\n`,
        );
        const envelope = {
          id,
          sender: 'sender@test.local',
          recipients: [{ address: `rcpt${i}@${domain}`, domain }],
          receivedAt: now,
          size: body.length,
          protocol: 'esmtp',
          client: { address: '127.0.0.1', port: 40000, helo: 'fill.test' },
        };
        insM.run(id, JSON.stringify(envelope), now, body.length, body);
        insR.run(id);
        ids.push(messageId);
      }
    })();
  } finally {
    db.close();
  }
  return ids;
}
