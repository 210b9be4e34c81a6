/**
 * Test fixtures (not exported, not a test file): real peers on random loopback ports, a tiny
 * scripted peer that records how bytes arrive, and a throwaway certificate. Every start has a
 * matching stop; every wait is bounded.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { SessionOptions, SessionTimeouts } from './types.js';

// The project's own copy of the shared peer (test/peers), so CI needs nothing outside the repo.
export const AIO_SERVER = fileURLToPath(new URL('../../../test/peers/aio-server.py', import.meta.url));

export function timeouts(over: Partial<SessionTimeouts> = {}): SessionTimeouts {
  return { connect: 3000, banner: 3000, ehlo: 3000, mailfrom: 3000, rcptto: 3000, data: 3000, dataBlock: 3000, body: 3000, rset: 3000, quit: 1000, ...over };
}

export function options(port: number, over: Partial<SessionOptions> = {}): SessionOptions {
  return { host: '127.0.0.1', port, ehloName: 'client.test', timeouts: timeouts(), tls: 'no', tlsVerify: 'no', ...over };
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const s = createServer();
  s.listen(0, host);
  await once(s, 'listening');
  const port = (s.address() as { port: number }).port;
  s.close();
  await once(s, 'close');
  return port;
}

/** True once something accepts on host:port (the connection is closed at once). */
async function accepts(port: number): Promise<boolean> {
  const sock = connect({ host: '127.0.0.1', port });
  try {
    await Promise.race([once(sock, 'connect'), delay(500).then(() => { throw new Error('slow'); })]);
    return true;
  } catch {
    return false;
  } finally {
    sock.destroy();
  }
}

export interface RunningPeer {
  readonly port: number;
  readonly output: () => string;
  stop(): Promise<void>;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(t);
}

/** Starts a peer on a free port; readiness = `ready(port, child)`; retries a port lost to a race (3 tries). */
async function startPeer(
  argv: (port: number) => [string, string[]],
  ready: (port: number, child: ChildProcess, out: () => string) => Promise<boolean>,
): Promise<RunningPeer> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const [cmd, args] = argv(port);
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    if (await ready(port, child, () => out)) return { port, output: () => out, stop: () => stopChild(child) };
    await stopChild(child);
  }
  throw new Error('peer did not start');
}

/** smtp-sink on a random port; `args` are fault options such as ['-r', 'RCPT']. */
export function startSink(args: string[] = []): Promise<RunningPeer> {
  return startPeer(
    (port) => ['smtp-sink', ['-u', 'nobody', ...args, `127.0.0.1:${port}`, '1024']],
    async (port, child) => {
      // smtp-sink says nothing when ready: poll the port, at most 40 × 25 ms.
      for (let i = 0; i < 40; i++) {
        if (child.exitCode !== null) return false;
        if (await accepts(port)) return true;
        await delay(25);
      }
      return false;
    },
  );
}

/** aio-server.py (aiosmtpd) on a random port; ready when it prints "listening" (within 10 s). */
export function startAio(args: string[] = []): Promise<RunningPeer> {
  return startPeer(
    (port) => ['/usr/bin/python3', [AIO_SERVER, String(port), ...args]],
    async (_port, child, out) => {
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && child.exitCode === null) {
        if (out().includes('listening')) return true;
        await Promise.race([once(child.stdout!, 'data'), once(child, 'exit'), delay(500)]);
      }
      return out().includes('listening');
    },
  );
}

export interface TempCert {
  readonly dir: string;
  readonly cert: string;
  readonly key: string;
  readonly pem: string;
  remove(): void;
}

export function tempCert(cn = 'localhost'): TempCert {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-smtp-client-'));
  const cert = join(dir, 'c');
  const key = join(dir, 'k');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-days', '1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { dir, cert, key, pem: readFileSync(cert, 'utf8'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function tempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-smtp-client-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A scripted SMTP peer that records every chunk as it arrived. `reply(line)` may return a reply
 * text, `null` to stay silent, 'CLOSE' to hang up, or undefined for the default answer.
 */
export interface PeerScript {
  banner?: string | null;
  caps?: readonly string[];
  reply?(line: string): string | null | undefined;
  /** Stop reading after answering DATA (the client's writes then back up). */
  stallBody?: boolean;
}

export class ScriptedPeer {
  readonly chunks: string[] = [];
  readonly lines: string[] = [];
  readonly bodies: string[] = [];
  readonly clients: { address: string | undefined }[] = [];
  private readonly sockets = new Set<Socket>();
  private constructor(private readonly server: Server, readonly port: number) {}

  static async start(script: PeerScript = {}, host = '127.0.0.1'): Promise<ScriptedPeer> {
    let peer: ScriptedPeer | undefined;
    const server = createServer((sock) => peer!.serve(sock, script));
    server.listen(0, host);
    await once(server, 'listening');
    peer = new ScriptedPeer(server, (server.address() as { port: number }).port);
    return peer;
  }

  private serve(sock: Socket, script: PeerScript): void {
    this.sockets.add(sock);
    this.clients.push({ address: sock.remoteAddress });
    sock.on('close', () => this.sockets.delete(sock));
    sock.on('error', () => undefined);
    const banner = script.banner === undefined ? '220 peer.test ESMTP' : script.banner;
    if (banner !== null) sock.write(`${banner}\r\n`);
    let buf = '';
    let inData = false;
    let body = '';
    // BDAT (RFC 3030): octets still owed to the current chunk, and whether it is the LAST one.
    let bdat: { left: number; last: boolean } | undefined;
    sock.on('data', (d: Buffer) => {
      this.chunks.push(d.toString('latin1'));
      buf += d.toString('latin1');
      for (;;) {
        if (bdat) {
          const take = Math.min(bdat.left, buf.length);
          body += buf.slice(0, take);
          buf = buf.slice(take);
          bdat.left -= take;
          if (bdat.left > 0) return;
          const last = bdat.last;
          bdat = undefined;
          if (last) {
            this.bodies.push(body);
            body = '';
          }
          const custom = script.reply?.(last ? 'BDAT-LAST-DONE' : 'BDAT-DONE');
          if (custom === null) continue;
          sock.write(`${custom ?? (last ? '250 2.0.0 queued' : '250 2.0.0 chunk ok')}\r\n`);
          continue;
        }
        const i = buf.indexOf('\n');
        if (i < 0) return;
        const line = buf.slice(0, i).replace(/\r$/, '');
        buf = buf.slice(i + 1);
        if (inData) {
          if (line !== '.') {
            body += `${line}\r\n`;
            continue;
          }
          inData = false;
          this.bodies.push(body);
          body = '';
        }
        this.lines.push(line);
        const m = /^BDAT (\d+)( LAST)?$/i.exec(line);
        if (m) {
          bdat = { left: Number(m[1]), last: m[2] !== undefined };
          continue;
        }
        const custom = script.reply?.(line);
        if (custom === null) continue;
        if (custom === 'CLOSE') {
          sock.destroy();
          return;
        }
        const answer = custom ?? this.defaultReply(line, script);
        if (/^DATA$/i.test(line) && answer.startsWith('354')) inData = true;
        sock.write(`${answer}\r\n`);
        if (inData && script.stallBody) {
          sock.pause();
          return;
        }
        if (/^QUIT/i.test(line)) sock.end();
      }
    });
  }

  private defaultReply(line: string, script: PeerScript): string {
    const verb = line.split(' ')[0]!.toUpperCase();
    if (verb === 'EHLO') {
      const caps = script.caps ?? ['PIPELINING', '8BITMIME'];
      return ['peer.test', ...caps].map((c, i, a) => `250${i === a.length - 1 ? ' ' : '-'}${c}`).join('\r\n');
    }
    if (verb === 'DATA') return '354 go ahead';
    if (verb === '.') return '250 2.0.0 queued';
    if (verb === 'QUIT') return '221 2.0.0 bye';
    return '250 2.0.0 ok';
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const closed = once(this.server, 'close');
    this.server.close();
    await closed;
  }
}
