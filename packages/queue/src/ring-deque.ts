/**
 * A double-ended queue on a growable ring buffer: O(1) push and pop at both ends, no array
 * shifting (Array.prototype.shift is O(n) once V8 leaves its fast path on large arrays).
 * The active queue of a destination is one of these.
 */
export class RingDeque<T> {
  private buf: (T | undefined)[];
  private head = 0;
  private count = 0;
  /** buf.length − 1; the capacity is kept a power of two so that wrapping is a mask. */
  private mask: number;

  constructor(initialCapacity = 16) {
    let cap = 4;
    while (cap < initialCapacity) cap *= 2;
    this.buf = new Array<T | undefined>(cap);
    this.mask = cap - 1;
  }

  get length(): number {
    return this.count;
  }

  pushBack(value: T): void {
    if (this.count === this.buf.length) this.grow();
    this.buf[(this.head + this.count) & this.mask] = value;
    this.count++;
  }

  pushFront(value: T): void {
    if (this.count === this.buf.length) this.grow();
    this.head = (this.head - 1) & this.mask;
    this.buf[this.head] = value;
    this.count++;
  }

  /** Removes and returns the front value, or undefined when empty. */
  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const value = this.buf[this.head];
    this.buf[this.head] = undefined; // let the job be collected once it leaves
    this.head = (this.head + 1) & this.mask;
    this.count--;
    return value;
  }

  peekFront(): T | undefined {
    return this.count === 0 ? undefined : this.buf[this.head];
  }

  /** Front to back. */
  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.count; i++) yield this.buf[(this.head + i) & this.mask] as T;
  }

  private grow(): void {
    const old = this.buf;
    const next = new Array<T | undefined>(old.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = old[(this.head + i) & this.mask];
    this.buf = next;
    this.head = 0;
    this.mask = next.length - 1;
  }

  /** Removes every value matching `pred`, keeping the order of the rest; returns the removed. O(n). */
  removeWhere(pred: (value: T) => boolean): T[] {
    const removed: T[] = [];
    const kept: T[] = [];
    for (const v of this) (pred(v) ? removed : kept).push(v);
    if (removed.length === 0) return removed;
    this.buf.fill(undefined);
    this.head = 0;
    this.count = 0;
    for (const v of kept) this.pushBack(v);
    return removed;
  }
}
