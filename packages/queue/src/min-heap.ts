/**
 * A binary min-heap: O(log n) push and pop, O(1) peek. Orders by a strict "comes before"
 * function supplied by the caller; callers that need FIFO among equal keys add a sequence number.
 */
export class MinHeap<T> {
  private readonly items: T[] = [];

  constructor(private readonly before: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(value: T): void {
    const items = this.items;
    let i = items.length;
    items.push(value);
    // Sift up: move the hole towards the root while the parent comes after the value.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent] as T;
      if (!this.before(value, p)) break;
      items[i] = p;
      i = parent;
    }
    items[i] = value;
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    // Sift down the former last element from the root.
    items[0] = last;
    this.siftDown(0);
    return top;
  }

  /**
   * Removes and returns the last value of the array: a leaf, so the heap order holds without a
   * sift (O(1)). Leaves are the later half of the heap: the resident window evicts from here.
   */
  popLast(): T | undefined {
    return this.items.pop();
  }

  /** In heap (not sorted) order; for counting and inspection only. */
  values(): readonly T[] {
    return this.items;
  }

  /**
   * Removes every value matching `pred` and returns them (in heap order). O(n): a rebuild
   * (Floyd's heapify) after one pass; for operator actions, not the hot path.
   */
  removeWhere(pred: (value: T) => boolean): T[] {
    const items = this.items;
    const removed: T[] = [];
    let w = 0;
    for (let r = 0; r < items.length; r++) {
      const v = items[r] as T;
      if (pred(v)) removed.push(v);
      else items[w++] = v;
    }
    if (removed.length === 0) return removed;
    items.length = w;
    for (let i = (w >> 1) - 1; i >= 0; i--) this.siftDown(i);
    return removed;
  }

  private siftDown(start: number): void {
    const items = this.items;
    const n = items.length;
    const value = items[start] as T;
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && this.before(items[r] as T, items[l] as T)) c = r;
      const child = items[c] as T;
      if (!this.before(child, value)) break;
      items[i] = child;
      i = c;
    }
    items[i] = value;
  }
}
