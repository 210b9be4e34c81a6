/**
 * Refuses new mail before the disk is full: a message accepted into a full disk would fail its
 * commit anyway, and the WAL needs room to checkpoint. statfs costs a syscall, so it is asked at
 * most once per interval and the answer reused in between.
 */
import { statfsSync } from 'node:fs';
import type { Clock } from '@petrel/core';

/** Free bytes available to this process on the file system of `dir`. */
export type FreeSpaceProbe = (dir: string) => number;

export const statfsProbe: FreeSpaceProbe = (dir) => {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
};

export class FreeSpaceGuard {
  private checkedAt = -Infinity;
  private free = Infinity;

  constructor(
    private readonly dir: string,
    private readonly minFree: number,
    private readonly clock: Clock,
    private readonly probe: FreeSpaceProbe = statfsProbe,
    private readonly intervalMs = 1000,
  ) {}

  /** The last measured free space, refreshed when older than the interval. */
  available(): number {
    const now = this.clock.now();
    if (now - this.checkedAt >= this.intervalMs) {
      this.checkedAt = now;
      try {
        this.free = this.probe(this.dir);
      } catch {
        // A failing statfs must not stop mail: the commit itself still reports a real full disk.
        this.free = Infinity;
      }
    }
    return this.free;
  }

  /** Forgets the last answer: the next available() asks statfs (the spool itself just freed or took space). */
  invalidate(): void {
    this.checkedAt = -Infinity;
  }

  /** True when there is less free space than the minimum. */
  isLow(): boolean {
    return this.minFree > 0 && this.available() < this.minFree;
  }

  get minimum(): number {
    return this.minFree;
  }
}
