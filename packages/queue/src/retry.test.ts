import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DELIVERY_OPTIONS, formatReply } from '@petrel/core';
import { decideRetry, retryWait, type RetryPolicy } from './retry.js';

const S = 1000;
const defaults: RetryPolicy = {
  retry_interval: DELIVERY_OPTIONS.retry_interval.default,
  max_retry_interval: DELIVERY_OPTIONS.max_retry_interval.default,
  max_retries: 'auto',
  message_expiration: DELIVERY_OPTIONS.message_expiration.default,
  never_retry: false,
};

test('waits double from retry_interval and stop at max_retry_interval (reference §4 table)', () => {
  const waits = [1, 2, 3, 4, 5, 6, 7, 8, 60].map((n) => retryWait(n, 1200 * S, 43200 * S) / S);
  assert.deepEqual(waits, [1200, 2400, 4800, 9600, 19200, 38400, 43200, 43200, 43200]);
});

test('a huge failure count stays at the cap, and a zero interval stays zero', () => {
  assert.equal(retryWait(5000, 1200 * S, 43200 * S), 43200 * S);
  assert.equal(retryWait(5000, 0, 43200 * S), 0);
});

test('jitter only shortens the wait, by at most the given fraction', () => {
  const base = { attempts: 0, receivedAt: 0, now: 0, policy: defaults, jitter: 0.25 };
  const lo = decideRetry({ ...base, random: () => 0.999999 });
  const hi = decideRetry({ ...base, random: () => 0 });
  assert.equal(lo.kind, 'retry');
  assert.equal(hi.kind, 'retry');
  if (lo.kind !== 'retry' || hi.kind !== 'retry') return;
  assert.equal(hi.nextAttemptAt, 1200 * S);
  assert.ok(lo.nextAttemptAt >= 900 * S && lo.nextAttemptAt < 1200 * S, `${lo.nextAttemptAt}`);
});

test('a next attempt exactly at the expiry instant is an expiration', () => {
  const d = decideRetry({ attempts: 0, receivedAt: 0, now: 0, policy: { ...defaults, message_expiration: 1200 * S } });
  assert.equal(d.kind, 'fail');
  if (d.kind === 'fail') assert.equal(formatReply(d.reply), '554 5.4.7 [internal] exceeded max time without delivery');
});

test('max_retries "none" leaves the end to message_expiration', () => {
  const d = decideRetry({ attempts: 40, receivedAt: 0, now: 0, policy: { ...defaults, max_retries: 'none' } });
  assert.deepEqual(d, { kind: 'retry', attempts: 41, nextAttemptAt: 43200 * S });
});
