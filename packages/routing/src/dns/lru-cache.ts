/**
 * A bounded cache whose entries expire: least recently used entries are evicted first when
 * full, and an entry past its expiry is a miss. Time comes from the caller (the service clock),
 * so expiry is testable with a driven clock.
 */
interface Entry<V> {
  value: V;
  expiresAt: number;
}

export class TtlLruCache<K, V> {
  // A Map iterates in insertion order: re-inserting on a hit makes the first key the LRU one.
  private readonly entries = new Map<K, Entry<V>>();

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number,
  ) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1)
      throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: K): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    this.entries.delete(key);
    if (e.expiresAt <= this.now()) return undefined;
    this.entries.set(key, e);
    return e.value;
  }

  /** Stores a value for ttlMs; a ttl of 0 or less stores nothing (RFC 1035 §3.2.1: TTL 0 = do not cache). */
  set(key: K, value: V, ttlMs: number): void {
    this.entries.delete(key);
    if (!(ttlMs > 0)) return;
    this.entries.set(key, { value, expiresAt: this.now() + ttlMs });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
  }

  /** Shortens an entry's remaining life to at most ttlMs (never lengthens it). */
  cap(key: K, ttlMs: number): void {
    const e = this.entries.get(key);
    if (e) e.expiresAt = Math.min(e.expiresAt, this.now() + Math.max(0, ttlMs));
  }

  delete(key: K): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
