/**
 * The internal replies the queue manager emits, byte for byte as Momentum words them
 * (shared reference §4 and §6). One table, so that logs, DSNs and tests agree.
 */
import { SmtpReply } from '@petrel/core';

export const QUEUE_REPLIES = {
  /** never_retry, or max_retries exhausted (reference §3, §4). */
  maxRetries: new SmtpReply(554, '[internal] exceeded max retries without delivery', '5.4.7'),
  /** The next attempt would fall at or after receivedAt + message_expiration (reference §4). */
  maxTime: new SmtpReply(554, '[internal] exceeded max time without delivery', '5.4.7'),
  /** Operator failure (`queue.fail`; Momentum `fail domain`, reference §6). */
  manuallyPurged: new SmtpReply(554, '[internal] Message manually purged', '5.7.0'),
  /**
   * Petrel's own (not Momentum's): the deferral reply of a recipient that outbound reported no
   * outcome for and that has no earlier reply. It stays queued: at-least-once delivery.
   */
  noOutcome: new SmtpReply(451, '[internal] no outcome reported for recipient', '4.3.0'),
} as const;
