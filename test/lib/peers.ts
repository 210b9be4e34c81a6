/**
 * Real, independent peers for end-to-end tests: dnsmasq (DNS on loopback), smtp-sink and
 * aio-server.py (destinations), swaks (client). Each start* returns a handle the test stops.
 */
import { chmodSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitFor, waitForPort } from './ports.js';
import { run, startProc, type Proc } from './procs.js';

/** test/peers, from test/dist/lib. */
export const PEERS_DIR = fileURLToPath(new URL('../../peers/', import.meta.url));

export interface Dns {
  readonly port: number;
  readonly server: string;
  stop(): Promise<void>;
}

/** dnsmasq serving the shared *.test zone (plus `extra` lines) on 127.0.0.1:<free port>. */
export async function startDns(dir: string, extra: readonly string[] = []): Promise<Dns> {
  const port = await freePort();
  const conf = readFileSync(join(PEERS_DIR, 'dnsmasq-test-zone.conf'), 'utf8').replace(/^port=\d+$/m, `port=${port}`);
  const file = join(dir, 'dnsmasq.conf');
  writeFileSync(file, `${conf}\n${extra.join('\n')}\n`);
  const proc = startProc('dnsmasq', ['--keep-in-foreground', `--conf-file=${file}`, `--pid-file=${join(dir, 'dnsmasq.pid')}`, `--log-facility=${join(dir, 'dnsmasq.log')}`]);
  await waitFor('dnsmasq to answer', async () => {
    const r = await run('dig', ['@127.0.0.1', '-p', String(port), 'MX', 'example.test', '+short', '+time=1', '+tries=1'], { timeoutMs: 3000 });
    return r.stdout.includes('mx1.example.test');
  });
  return { port, server: `127.0.0.1:${port}`, stop: async () => void (await proc.stop()) };
}

/** A destination process that dumps every message it accepts into one file in dumpDir. */
interface DumpingPeer {
  readonly host: string;
  readonly port: number;
  readonly dumpDir: string;
  /** Paths of the dumped message files so far, oldest first. */
  files(): string[];
  stop(): Promise<void>;
}

async function startDumpingPeer(host: string, port: number, dumpDir: string, cmd: string, args: readonly string[]): Promise<DumpingPeer> {
  mkdirSync(dumpDir, { recursive: true });
  const proc: Proc = startProc(cmd, args);
  await waitForPort(host, port);
  return {
    host,
    port,
    dumpDir,
    files: () =>
      readdirSync(dumpDir)
        .sort()
        .map((f) => join(dumpDir, f)),
    stop: async () => void (await proc.stop()),
  };
}

export interface Sink extends DumpingPeer {
  /** Messages dumped so far (smtp-sink's -d files: its X-* headers, its Received, then the message, LF line ends). */
  messages(): string[];
}

/** smtp-sink on host:port dumping every message into dir/sink-<port>/; `faults` are extra smtp-sink options. */
export async function startSink(dir: string, host: string, port: number, faults: readonly string[] = []): Promise<Sink> {
  const dumpDir = join(dir, `sink-${host}-${port}`);
  mkdirSync(dumpDir, { recursive: true });
  chmodSync(dumpDir, 0o777); // smtp-sink writes as nobody
  const peer = await startDumpingPeer(host, port, dumpDir, 'smtp-sink', ['-u', 'nobody', '-d', `${dumpDir}/%Y%m%d%H%M%S.`, ...faults, '-c', `${host.includes(':') ? `[${host}]` : host}:${port}`, '1024']);
  return { ...peer, messages: () => peer.files().map((f) => readFileSync(f, 'utf8')) };
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

export interface Aio extends DumpingPeer {
  /** Raw messages received (X-Env-From / X-Env-To lines first). */
  messages(): Buffer[];
}

/** The scriptable aiosmtpd peer (hard* → 550, soft* → 451, slow* → 2 s). */
export async function startAio(dir: string, host: string, port: number, extra: readonly string[] = []): Promise<Aio> {
  const dumpDir = join(dir, `aio-${host}-${port}`);
  const peer = await startDumpingPeer(host, port, dumpDir, '/usr/bin/python3', [join(PEERS_DIR, 'aio-server.py'), String(port), '--host', host, '--dump', dumpDir, ...extra]);
  return { ...peer, messages: () => peer.files().map((f) => readFileSync(f)) };
}

/** swaks, the independent SMTP client; returns its exit code and transcript. */
export async function swaks(args: readonly string[]): Promise<{ code: number | null; out: string }> {
  const r = await run('swaks', [...args, '--timeout', '20'], { timeoutMs: 40_000 });
  return { code: r.code, out: r.stdout + r.stderr };
}
