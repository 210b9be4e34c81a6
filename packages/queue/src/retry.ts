/**
 * Momentum's retry maths (shared reference §4), as pure functions of the destination policy:
 *   interval(n) = min(retry_interval × 2^(n−1), max_retry_interval), n = failures so far
 *   next        = now + interval(n)
 * A transient failure ends the job's life instead when never_retry is set, when an integer
 * max_retries is exceeded, or when next would fall at or after receivedAt + message_expiration.
 * All three are logged as `expiration` with 554 5.4.7, as Momentum logs them (reference §4);
 * `policy` failures are operator actions only.
 */
import type { DeliveryOptions, ReplyData } from '@petrel/core';
import { QUEUE_REPLIES } from './replies.js';

/** The options the retry decision reads. */
export type RetryPolicy = Pick<
  DeliveryOptions,
  'retry_interval' | 'max_retry_interval' | 'max_retries' | 'message_expiration' | 'never_retry'
> &
  Partial<Pick<DeliveryOptions, 'delayed_binding_domain_fuzz'>>;

/** The back-off wait in ms after the n-th transient failure (n ≥ 1), before jitter. */
export function retryWait(n: number, retryInterval: number, maxRetryInterval: number): number {
  // Beyond 2^52 the product is past any cap; clamping the exponent also keeps 0 × ∞ (NaN) away.
  const factor = 2 ** Math.min(Math.max(n - 1, 0), 52);
  return Math.min(retryInterval * factor, maxRetryInterval);
}

export type RetryDecision =
  | { readonly kind: 'retry'; readonly attempts: number; readonly nextAttemptAt: number }
  | { readonly kind: 'fail'; readonly attempts: number; readonly reply: ReplyData };

export interface RetryInput {
  /** Attempts made before the one that just failed. */
  readonly attempts: number;
  readonly receivedAt: number;
  readonly now: number;
  readonly policy: RetryPolicy;
  /** Fraction in [0, 1): the wait is shortened by up to this share, at random. 0 = exact. */
  readonly jitter?: number;
  readonly random?: () => number;
}

/** Decides what follows a transient failure: another try at nextAttemptAt, or a final failure. */
export function decideRetry(input: RetryInput): RetryDecision {
  const { policy, now } = input;
  const n = input.attempts + 1;
  const maxRetries = policy.max_retries;
  // "auto" and "none" leave the end to message_expiration (reference §4); an integer N allows N retries.
  if (policy.never_retry || (typeof maxRetries === 'number' && n > maxRetries)) {
    return { kind: 'fail', attempts: n, reply: QUEUE_REPLIES.maxRetries };
  }
  let wait = retryWait(n, policy.retry_interval, policy.max_retry_interval);
  const jitter = input.jitter ?? 0;
  // Jitter only ever shortens the wait, so max_retry_interval stays a true cap.
  if (jitter > 0) wait = Math.floor(wait * (1 - jitter * (input.random ?? Math.random)()));
  // delayed_binding_domain_fuzz (reference §3): a random extra of up to this much, so that a bulk
  // requeue (a whole domain deferred at once) does not come due in the same millisecond.
  const fuzz = policy.delayed_binding_domain_fuzz ?? 0;
  if (fuzz > 0) wait += Math.floor(fuzz * (input.random ?? Math.random)());
  const next = now + wait;
  if (next >= expiresAt(input.receivedAt, policy)) return { kind: 'fail', attempts: n, reply: QUEUE_REPLIES.maxTime };
  return { kind: 'retry', attempts: n, nextAttemptAt: next };
}

/** Epoch ms at which a message received at receivedAt expires under the policy. */
export function expiresAt(receivedAt: number, policy: Pick<DeliveryOptions, 'message_expiration'>): number {
  return receivedAt + policy.message_expiration;
}
