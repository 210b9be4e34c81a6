/**
 * Reception times of the jobs in one queue, for `queue shape` and the oldest job's age: counts per
 * time bucket, never per job. A bucket starts one second wide; when a queue's receptions spread over
 * more than MAX_BUCKETS buckets, every bucket doubles in width (neighbours merge), so a queue holds
 * at most MAX_BUCKETS entries whatever its size. Counted per second, a queue received over a day
 * held one Map entry per distinct second: 10⁷ queued mail received over a day for 3000 domains is
 * about 10⁷ entries (about a gigabyte, and a `queue shape` walking all of them).
 *
 * The price is precision: a bucket's jobs are dated at the bucket's start, so an age reads up to one
 * bucket older than it is (a second for a queue received within ~8 minutes; 256 s for one received
 * over a day). Widths are powers of two seconds, so a reception's bucket at a wider width is the
 * merge of its buckets at the narrower one. Insert and remove are one Map update; the minimum is
 * cached and recomputed over the buckets only when read after its bucket emptied.
 */

/** Most buckets one queue keeps; past it the width doubles. */
export const MAX_BUCKETS = 512;

export class ReceptionIndex {
  /** bucket (reception ms / width) → [jobs, recipients] received in it. */
  private buckets = new Map<number, [number, number]>();
  /** Width of a bucket in ms: 1000 × a power of two. */
  private width = 1000;
  private min = Infinity;
  private stale = false;

  /** Buckets held (at most MAX_BUCKETS): what this index costs in memory. */
  get size(): number {
    return this.buckets.size;
  }

  /** Milliseconds a bucket spans: the precision of `oldest` and of `shape`. */
  get precision(): number {
    return this.width;
  }

  add(receivedAt: number, recipients: number): void {
    const b = Math.floor(receivedAt / this.width);
    const n = this.buckets.get(b);
    if (n !== undefined) {
      n[0]++;
      n[1] += recipients;
      return;
    }
    this.buckets.set(b, [1, recipients]);
    if (b < this.min) this.min = b;
    if (this.buckets.size > MAX_BUCKETS) this.widen();
  }

  remove(receivedAt: number, recipients: number): void {
    const b = Math.floor(receivedAt / this.width);
    const n = this.buckets.get(b);
    if (n === undefined) return;
    if (n[0] > 1) {
      n[0]--;
      n[1] -= recipients;
      return;
    }
    this.buckets.delete(b);
    if (this.buckets.size === 0) {
      // Empty: the next jobs are counted to the second again.
      this.width = 1000;
      this.min = Infinity;
      this.stale = false;
    } else if (b === this.min) this.stale = true;
  }

  /** Some recipients of a job finished while the job stays (a partial requeue). */
  shrink(receivedAt: number, by: number): void {
    const n = this.buckets.get(Math.floor(receivedAt / this.width));
    if (n !== undefined) n[1] -= by;
  }

  /** Recipients by age at `now`: slot i counts ages below bounds[i]; the last slot the rest. */
  shape(now: number, bounds: readonly number[]): { recipients: number; byAge: number[] } {
    const byAge = new Array<number>(bounds.length + 1).fill(0);
    let recipients = 0;
    const width = this.width;
    // forEach, not for-of: no [key, value] array per bucket (3000 queues × MAX_BUCKETS per shape).
    this.buckets.forEach((n, b) => {
      const age = now - b * width;
      let i = 0;
      while (i < bounds.length && age >= bounds[i]!) i++;
      byAge[i]! += n[1];
      recipients += n[1];
    });
    return { recipients, byAge };
  }

  /** Epoch ms of the oldest reception, to the start of its bucket; 0 when empty. */
  oldest(): number {
    if (this.stale) {
      this.stale = false;
      this.min = Infinity;
      for (const b of this.buckets.keys()) if (b < this.min) this.min = b;
    }
    return this.min === Infinity ? 0 : this.min * this.width;
  }

  /** Doubles the width until the buckets fit again: O(buckets), at most log2(span in seconds) times per queue. */
  private widen(): void {
    while (this.buckets.size > MAX_BUCKETS) {
      const merged = new Map<number, [number, number]>();
      for (const [b, n] of this.buckets) {
        const to = Math.floor(b / 2);
        const m = merged.get(to);
        if (m === undefined) merged.set(to, n);
        else {
          m[0] += n[0];
          m[1] += n[1];
        }
      }
      this.buckets = merged;
      this.width *= 2;
    }
    this.stale = true;
  }
}
