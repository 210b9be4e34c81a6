import { randomBytes } from 'node:crypto';

// Crockford base32: ids sort by creation time and read unambiguously in logs.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
let lastTime = 0;
let lastRandom: number[] = [];

/**
 * A ULID-style message id: 10 characters of millisecond time + 16 of randomness, monotonic
 * within one millisecond. Unique across restarts without any persisted counter.
 */
export function newMessageId(now: number = Date.now()): string {
  if (now === lastTime && lastRandom.length === 16) {
    // Increment the random part so ids made in the same millisecond still sort in order.
    for (let i = 15; i >= 0; i--) {
      const v = lastRandom[i]!;
      if (v < 31) {
        lastRandom[i] = v + 1;
        break;
      }
      lastRandom[i] = 0;
    }
  } else {
    const bytes = randomBytes(16);
    lastRandom = Array.from(bytes, (b) => b & 31);
    lastTime = now;
  }
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32]! + time;
    t = Math.floor(t / 32);
  }
  return time + lastRandom.map((v) => ALPHABET[v]!).join('');
}
