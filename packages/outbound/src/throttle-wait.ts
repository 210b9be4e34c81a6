/**
 * outbound_throttle_connections (reference §3): before a connection opens it takes a token from the
 * bucket of the option's defining scope (core's ThrottleRegistry). Without a token it waits with
 * one timer for the time the bucket says, never spinning, and gives up when the service stops.
 */
import type { Clock, ThrottleRegistry, TimerHandle } from '@petrel/core';

/** Bounds the wait loop: a refill can race with another connection taking the token. */
const MAX_WAITS = 1000;

/** Resolves true with a token taken (or no throttle set), false when `stopped` resolved first. */
export async function takeConnectionToken(
  throttles: ThrottleRegistry,
  clock: Clock,
  binding: string,
  domain: string,
  stopped: Promise<void>,
  isStopping: () => boolean,
  /** Resolves at the next config reload: the wait re-reads the bucket under the new rate. */
  reloaded: () => Promise<void> = () => new Promise<void>(() => undefined),
): Promise<boolean> {
  for (let i = 0; i < MAX_WAITS; i++) {
    // Re-read every round: after a config reload the registry resolves the new rate (or none).
    const bucket = throttles.bucket('outbound_throttle_connections', binding, domain);
    if (!bucket) return true;
    if (isStopping()) return false;
    if (bucket.tryTake()) return true;
    const ms = Math.max(1, bucket.waitMs());
    let timer: TimerHandle | undefined;
    const woke = await Promise.race([
      new Promise<'timer'>((resolve) => {
        timer = clock.setTimer(ms, () => resolve('timer'));
      }),
      stopped.then(() => 'stop' as const),
      reloaded().then(() => 'reload' as const),
    ]);
    clock.clearTimer(timer);
    if (woke === 'stop') return false;
  }
  const bucket = throttles.bucket('outbound_throttle_connections', binding, domain);
  return !isStopping() && (!bucket || bucket.tryTake());
}
