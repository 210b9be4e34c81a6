/** A small real file system for disk-full tests: tmpfs mounts (CI runs as root) and a filler file. */
import { closeSync, mkdirSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

/** mount/umount, bounded; stdin ignored (procs.run's stdin pipe can EPIPE on a command that exits at once). */
function sys(cmd: string, args: readonly string[]): { code: number | null; stderr: string } {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000, encoding: 'utf8' });
  return { code: r.status, stderr: r.stderr ?? String(r.error ?? '') };
}

export interface Tmpfs {
  readonly dir: string;
  /** Free bytes as statfs reports them (what Petrel's min_free_space check reads). */
  free(): number;
  unmount(): Promise<void>;
}

/** Mounts a tmpfs of `size` (e.g. "8m") on dir; throws with mount's output when that is not allowed. */
export async function mountTmpfs(dir: string, size: string): Promise<Tmpfs> {
  mkdirSync(dir, { recursive: true });
  const r = sys('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir]);
  if (r.code !== 0) throw new Error(`mount tmpfs on ${dir} failed (${r.code}): ${r.stderr.trim()}`);
  let mounted = true;
  return {
    dir,
    free: () => {
      const s = statfsSync(dir);
      return s.bavail * s.bsize;
    },
    unmount: async () => {
      if (!mounted) return;
      mounted = false;
      const u = sys('umount', ['-l', dir]);
      if (u.code !== 0) throw new Error(`umount ${dir} failed: ${u.stderr.trim()}`);
    },
  };
}

/** Writes `file` until the file system is full (ENOSPC); returns the bytes written. Bounded by the fs size. */
export function fillDisk(file: string): number {
  const fd = openSync(file, 'w');
  let total = 0;
  try {
    for (const chunk of [1 << 20, 1 << 16, 1 << 12, 512]) {
      const buf = Buffer.alloc(chunk, 0x5a);
      for (let i = 0; i < 100_000; i++) {
        try {
          const n = writeSync(fd, buf);
          total += n;
          if (n < chunk) break;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw e;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return total;
}

export function removeFile(file: string): void {
  rmSync(file, { force: true });
}
