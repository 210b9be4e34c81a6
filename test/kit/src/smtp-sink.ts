/** Postfix's smtp-sink as a destination: on a free port for unit tests, on a given host:port (dumping every message) for end-to-end tests, counting for benchmarks. */
import { chmodSync, mkdirSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { accepts } from './ports.js';
import { readyWhen, startPeerProc } from './procs.js';

export interface Peer {
  readonly port: number;
  stop(): Promise<void>;
}

export interface RunningPeer extends Peer {
  readonly output: () => string;
}

export interface RunningSink extends RunningPeer {
  readonly host: string;
  /** smtp-sink's pid (benchmarks check it is gone before the next run). */
  readonly pid: number | undefined;
  /** Messages smtp-sink counted so far (its -c counter). */
  count(): number;
  /** Resolves true once `n` messages were counted, false after `ms`. */
  waitForCount(n: number, ms: number): Promise<boolean>;
}

/**
 * smtp-sink (-c: counters on stdout) on host:port, or 127.0.0.1:<free port>; `faults` are extra
 * options such as ['-r', 'RCPT']. smtp-sink prints nothing when ready: the port is polled.
 */
export async function startSmtpSink(
  faults: readonly string[] = [],
  opts: { host?: string; port?: number } = {},
): Promise<RunningSink> {
  const host = opts.host ?? '127.0.0.1';
  const hostPort = (port: number): string => `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const { proc, port } = await startPeerProc(
    'smtp-sink',
    (p) => ['smtp-sink', ['-u', 'nobody', '-c', ...faults, hostPort(p), '1024']],
    (pr, p) => readyWhen(pr, () => accepts(host, p), opts.port === undefined ? 5000 : 15_000),
    opts,
  );
  const count = (): number => {
    const all = [
      ...proc
        .output()
        .slice(-200)
        .matchAll(/mesg=(\d+)/g),
    ];
    return all.length ? Number(all[all.length - 1]![1]) : 0;
  };
  return {
    host,
    port,
    pid: proc.child.pid,
    output: proc.output,
    count,
    waitForCount: async (n, ms) => {
      const deadline = Date.now() + ms;
      while (count() < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      return count() >= n;
    },
    stop: async () => void (await proc.stop()),
  };
}

/** A destination that dumps every message it accepts into one file in dumpDir. */
export interface DumpingPeer {
  readonly host: string;
  readonly port: number;
  readonly dumpDir: string;
  /** Paths of the dumped message files so far, oldest first. */
  files(): string[];
  stop(): Promise<void>;
}

export function dumpedFiles(dumpDir: string): string[] {
  return readdirSync(dumpDir)
    .filter((f) => !f.startsWith('.')) // aio-server.py's file being written, renamed when whole
    .sort()
    .map((f) => join(dumpDir, f));
}

export interface Sink extends DumpingPeer {
  /** Messages dumped so far (smtp-sink's -d files: its X-* headers, its Received, then the message, LF line ends). */
  messages(): string[];
  /** The Message-IDs of those messages, in dump order (what crash and disk tests count copies by). */
  messageIds(): string[];
}

/** Paths a process holds open (from /proc; empty when it is gone). */
function openFiles(pid: number | undefined): Set<string> {
  const out = new Set<string>();
  if (pid === undefined) return out;
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return out;
  }
  for (const fd of fds) {
    try {
      out.add(readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      // closed between the listing and the read: not open any more
    }
  }
  return out;
}

/** smtp-sink on host:port dumping every message into dir/sink-<host>-<port>/; `faults` are extra smtp-sink options. */
export async function startSink(
  dir: string,
  host: string,
  port: number,
  faults: readonly string[] = [],
): Promise<Sink> {
  const dumpDir = join(dir, `sink-${host}-${port}`);
  mkdirSync(dumpDir, { recursive: true });
  chmodSync(dumpDir, 0o777); // smtp-sink writes as nobody
  const sink = await startSmtpSink(['-d', `${dumpDir}/%Y%m%d%H%M%S.`, ...faults], { host, port });
  // smtp-sink creates a dump file at the transaction's start and writes it as the data arrives; it
  // closes it before its 250 to the final dot. A file it still holds open is not a message yet.
  // The directory is listed before the open files are read: a dump created between the two reads is
  // then not listed yet, instead of being listed and taken for closed (an empty "message").
  const files = (): string[] => {
    const listed = dumpedFiles(dumpDir);
    const open = openFiles(sink.pid);
    return listed.filter((f) => !open.has(f));
  };
  const messages = (): string[] => files().map((f) => readFileSync(f, 'utf8'));
  const messageIds = (): string[] => messages().flatMap((d) => /^Message-ID: <([^>]+)>/im.exec(d)?.slice(1) ?? []);
  return { host, port, dumpDir, files, messages, messageIds, stop: sink.stop };
}

/** The message part of an smtp-sink dump: everything after smtp-sink's own (folded) Received header. */
export function sinkBody(dump: string): string {
  const lines = dump.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith('Received: from')) continue;
    let j = i + 1;
    while (j < lines.length && /^[ \t]/.test(lines[j]!)) j++;
    if (lines.slice(i, j).join(' ').includes('by smtp-sink')) return lines.slice(j).join('\n');
  }
  return dump;
}
