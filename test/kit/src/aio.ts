/** test/peers/aio-server.py (aiosmtpd): per-recipient outcomes by local part (hard* → 550, soft* → 451, slow* → 2 s), TLS, AUTH, dumps. */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AIO_SERVER } from './paths.js';
import { readyWhen, startPeerProc } from './procs.js';
import { dumpedFiles, type DumpingPeer, type RunningPeer } from './smtp-sink.js';

/**
 * aio-server.py on host:port, or 127.0.0.1:<free port>; `args` are its options (--tls CERT KEY,
 * --auth USER:PASS, --dump DIR). Ready when it prints "listening" (within 10 s).
 */
export async function startAioServer(
  args: readonly string[] = [],
  opts: { host?: string; port?: number } = {},
): Promise<RunningPeer> {
  const hostArgs = opts.host ? ['--host', opts.host] : [];
  const { proc, port } = await startPeerProc(
    'aio-server.py',
    (p) => ['/usr/bin/python3', [AIO_SERVER, String(p), ...hostArgs, ...args]],
    (pr) => readyWhen(pr, () => pr.output().includes('listening'), 10_000),
    opts,
  );
  return { port, output: proc.output, stop: async () => void (await proc.stop()) };
}

export interface Aio extends DumpingPeer {
  /** Raw messages received (X-Env-From / X-Env-To lines first). */
  messages(): Buffer[];
}

/** aio-server.py on host:port dumping every message into dir/aio-<host>-<port>/. */
export async function startAio(dir: string, host: string, port: number, extra: readonly string[] = []): Promise<Aio> {
  const dumpDir = join(dir, `aio-${host}-${port}`);
  mkdirSync(dumpDir, { recursive: true });
  const peer = await startAioServer(['--dump', dumpDir, ...extra], { host, port });
  const files = (): string[] => dumpedFiles(dumpDir);
  return { host, port, dumpDir, files, messages: () => files().map((f) => readFileSync(f)), stop: peer.stop };
}

/** What aio-server.py --stats FILE records, as the MX saw it. */
export interface AioStats {
  readonly connections: number;
  readonly current: number;
  readonly max_concurrent: number;
  /** Epoch seconds of each connect. */
  readonly opened: readonly number[];
  /** Epoch seconds of each MAIL FROM accepted. */
  readonly mails: readonly number[];
}

/** Reads aio-server.py's --stats file (written atomically after every connect and disconnect). */
export function aioStats(file: string): AioStats {
  return JSON.parse(readFileSync(file, 'utf8')) as AioStats;
}
