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

/** What {@link writeQueue} writes: message `i` goes to `rcpt<i>@<domains[i % domains.length]>`. */
export interface QueueFill {
  count: number;
  domains: readonly string[];
  /** Message `i` has the Message-ID `<prefix-i@test.local>` and the subject `prefix i`. */
  prefix: string;
  /** Pads each body with lines of x to exactly this many octets (when larger than its headers). */
  bodySize?: number;
  /** Messages per transaction (default 100 000). */
  perTransaction?: number;
  /** Called after each transaction with the number written so far. */
  progress?: (written: number) => void;
}

/**
 * Writes pending one-recipient messages straight into a (stopped) Petrel spool whose schema the
 * daemon (or the spool itself) already created: the bulk path that fills a queue far larger than
 * SMTP could in the time, for tests (fillSpool) and for bench/queue-depth.mjs and
 * bench/spool-recovery.mjs. Not durable until the next open (synchronous = OFF): nothing else has
 * the file open.
 */
export function writeQueue(spoolDir: string, fill: QueueFill): void {
  const { count, domains, prefix, bodySize = 0, perTransaction = 100_000, progress } = fill;
  const db = new Database(join(spoolDir, 'spool.db'), { fileMustExist: true });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = OFF');
    const insM = db.prepare('INSERT INTO messages (id, envelope, received_at, size, body) VALUES (?, ?, ?, ?, ?)');
    const insR = db.prepare(
      "INSERT INTO recipients (message_id, idx, status, attempts, next_attempt_at) VALUES (?, 0, 'pending', 0, 0)",
    );
    const now = Date.now();
    const line = `${'x'.repeat(76)}\r\n`;
    for (let start = 0; start < count; start += perTransaction) {
      db.transaction(() => {
        for (let i = start; i < Math.min(count, start + perTransaction); i++) {
          const id = newMessageId();
          const domain = domains[i % domains.length]!;
          let text =
            `From: <sender@test.local>\r\nTo: <rcpt${i}@${domain}>\r\nSubject: ${prefix} ${i}\r\n` +
            `Message-ID: <${prefix}-${i}@test.local>\r\n\r\nmessage ${i}\r\n`;
          while (text.length + line.length <= bodySize) text += line;
          if (text.length + 2 <= bodySize) text += `${'x'.repeat(bodySize - text.length - 2)}\r\n`;
          const body = Buffer.from(text);
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
        }
      })();
      progress?.(Math.min(count, start + perTransaction));
    }
    db.pragma('wal_checkpoint(TRUNCATE)');
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
  writeQueue(spoolDir, { count, domains, prefix });
  return Array.from({ length: count }, (_, i) => `${prefix}-${i}@test.local`);
}
