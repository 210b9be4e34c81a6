/**
 * Room kept for delivery outcomes when the disk fills. The free-space check cannot stop another
 * process (a log, a backup) from taking the last byte; then every outcome write fails with
 * SQLITE_FULL, delivered recipients stay pending, and a restart sends them again. So the spool
 * holds a ballast file of real, written blocks (`spool.reserve`): when an outcome write hits a full
 * disk the ballast is deleted, which gives the WAL room to record the outcomes and the deletes of
 * finished messages. New mail is refused (452 4.3.1) while the ballast is not in place, and the
 * ballast is written again only once the file system has room for it and the free-space minimum.
 */
import { closeSync, fsyncSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isDiskFull } from './sqlite-errors.js';

export const SPOOL_RESERVE_FILE = 'spool.reserve';

const CHUNK = 64 * 1024;

export class SpaceReserve {
  readonly file: string;
  private held = false;

  constructor(
    dir: string,
    /** Bytes kept; 0 disables the reserve (always "held"). */
    readonly size: number,
  ) {
    this.file = join(dir, SPOOL_RESERVE_FILE);
  }

  /** True while the ballast is in place (or no reserve is configured). */
  get inPlace(): boolean {
    return this.size <= 0 || this.held;
  }

  /**
   * Writes the ballast if it is not complete. Real blocks, not a sparse file: zeros written with
   * write(2) are allocated (tmpfs, ext4, xfs), a seek past the end would not be. Returns whether
   * it is in place; on ENOSPC the partial file is removed so that nothing is half-taken.
   */
  fill(): boolean {
    if (this.inPlace) return true;
    let have = 0;
    try {
      have = statSync(this.file).size;
    } catch {
      have = 0;
    }
    if (have >= this.size) {
      this.held = true;
      return true;
    }
    let fd: number | undefined;
    try {
      fd = openSync(this.file, 'a', 0o600);
      const zeros = Buffer.alloc(CHUNK);
      for (let left = this.size - have; left > 0; ) {
        const n = writeSync(fd, zeros, 0, Math.min(CHUNK, left));
        left -= n;
      }
      fsyncSync(fd);
      this.held = true;
    } catch {
      this.held = false;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    if (!this.held) rmSync(this.file, { force: true });
    return this.held;
  }

  /** Bytes still to write for the ballast to be complete (0 when in place or disabled). */
  missingBytes(): number {
    if (this.inPlace) return 0;
    try {
      return Math.max(0, this.size - statSync(this.file).size);
    } catch {
      return this.size;
    }
  }

  /** Deletes the ballast so that the spool's own writes can use its blocks. Returns true when space was freed. */
  release(): boolean {
    if (this.size <= 0) return false;
    let existed = false;
    try {
      statSync(this.file);
      existed = true;
    } catch {
      existed = false;
    }
    rmSync(this.file, { force: true });
    this.held = false;
    return existed;
  }
}

/** Frees the reserve for a write that found the disk full; true when that made room (Spool.releaseReserve). */
export type ReleaseReserve = () => boolean;

/**
 * Runs a synchronous write on one of the state tables' own connections (shaping states, warm-up
 * counters, the suppression list). When it finds the disk full and releasing the reserve made room,
 * it runs once more, into the reserve's blocks: the same room outcomes use, so that an operator's
 * `petrel resume` on a full disk is recorded and a restart does not bring the suspension back.
 * Release frees space once per episode, so this retries at most once; other failures are thrown.
 */
export function writeWithReserve<T>(write: () => T, release: ReleaseReserve | undefined): T {
  try {
    return write();
  } catch (err) {
    if (release === undefined || !isDiskFull(err) || !release()) throw err;
    return write();
  }
}
