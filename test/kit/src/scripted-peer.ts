/** An in-process scripted SMTP peer that records every chunk, line and body as it arrived (DATA and BDAT). */
import { createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';

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
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

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
