/** `spool.message`: one message's envelope and per-recipient state, for `petrel message show`. */
import type { MessageDetails, MessageEnvelope, ReplyData } from '@petrel/core';
import type { SpoolDatabase } from './database.js';

interface RecipientRow {
  idx: number;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at: number;
  last_reply: string | null;
}

/** Returns a reader bound to prepared statements on `db`. */
export function messageDetailsReader(db: SpoolDatabase): (id: string) => MessageDetails | null {
  const envStmt = db.prepare<[string], string>('SELECT envelope FROM messages WHERE id = ?').pluck();
  const rcptStmt = db.prepare<[string], RecipientRow>(
    'SELECT idx, status, attempts, next_attempt_at, last_reply FROM recipients WHERE message_id = ? ORDER BY idx',
  );
  return (id) => {
    const text = envStmt.get(id);
    if (text === undefined) return null;
    const envelope = JSON.parse(text) as MessageEnvelope;
    const recipients = rcptStmt.all(id).map((r) => ({
      index: r.idx,
      address: envelope.recipients[r.idx]?.address ?? '',
      status: r.status,
      attempts: r.attempts,
      nextAttemptAt: r.next_attempt_at,
      ...(r.last_reply ? { lastReply: JSON.parse(r.last_reply) as ReplyData } : {}),
    }));
    return { envelope, recipients };
  };
}
