import { randomFillSync } from 'node:crypto';

// Crockford base32: ids sort by creation time and read unambiguously in logs.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
let lastTime = 0;
let lastRandom: number[] = [];
// Random bytes drawn 4 KiB at a time: one CSPRNG call per 256 ids instead of one per id.
const pool = Buffer.alloc(4096);
let poolAt = pool.length;

function random16(): number[] {
  if (poolAt + 16 > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const out = new Array<number>(16);
  for (let i = 0; i < 16; i++) out[i] = (pool[poolAt + i] as number) & 31;
  poolAt += 16;
  return out;
}

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
    lastRandom = random16();
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
