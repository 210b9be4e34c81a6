/**
 * A private redis-server for cluster tests (Debian's redis-server, test/peers/install.sh): on
 * 127.0.0.1 at a free port, no persistence (`--save "" --appendonly no`), its working directory
 * a temporary one removed by stop(). kill() and restart() (same port) let a test take Redis away
 * mid-run and bring it back; pause()/resume() make it slow (SIGSTOP/SIGCONT) without closing sockets.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, readyWhen, startPeerProc, type Proc } from './procs.js';

export interface Redis {
  readonly port: number;
  /** "redis://127.0.0.1:<port>", for [cluster] redis. */
  readonly url: string;
  /** redis-cli against this server; resolves with its stdout (trimmed). */
  cli(...args: string[]): Promise<string>;
  /** SIGKILL: Redis is gone at once, its data with it (no persistence). */
  kill(): Promise<void>;
  /** Starts a fresh, empty server on the same port (after kill()). */
  restart(): Promise<void>;
  /** SIGSTOP: sockets stay open and nothing answers (a slow Redis). */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

const argv = (home: string, port: number): [string, string[]] => [
  'redis-server',
  ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', home],
];

const ready = (p: Proc): Promise<boolean> =>
  readyWhen(p, () => p.output().includes('Ready to accept connections'), 10_000);

export async function startRedis(): Promise<Redis> {
  const home = mkdtempSync(join(tmpdir(), 'petrel-redis-'));
  let proc: Proc;
  let port: number;
  try {
    ({ proc, port } = await startPeerProc('redis-server', (p) => argv(home, p), ready));
  } catch (e) {
    rmSync(home, { recursive: true, force: true });
    throw e;
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    cli: async (...args) => {
      const r = await run('redis-cli', ['-p', String(port), ...args], { timeoutMs: 10_000 });
      if (r.code !== 0) throw new Error(`redis-cli ${args.join(' ')} failed: ${r.stderr}`);
      return r.stdout.trim();
    },
    kill: async () => {
      proc.child.kill('SIGCONT');
      await proc.stop('SIGKILL');
    },
    restart: async () => {
      await proc.stop('SIGKILL');
      ({ proc } = await startPeerProc('redis-server', (p) => argv(home, p), ready, { port }));
    },
    pause: () => {
      proc.child.kill('SIGSTOP');
    },
    resume: () => {
      proc.child.kill('SIGCONT');
    },
    stop: async () => {
      proc.child.kill('SIGCONT');
      await proc.stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
