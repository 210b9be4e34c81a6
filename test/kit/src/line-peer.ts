/**
 * A small scripted SMTP peer for outbound tests: PIPELINING, records every command line and
 * every connection, and can refuse RCPTs past a per-transaction limit with 452 4.5.3
 * (RFC 5321 §4.5.3.1.10). Every socket is destroyed by stop().
 */
import { createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';

export class LinePeer {
  readonly lines: string[] = [];
  connections = 0;
  readonly connectedAt: number[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /**
   * `reply`: a scripted answer (one or more CRLF-joined lines, sent as is) for a command line,
   * instead of the usual one; undefined = the usual. `banner`: the greeting (default 220).
   */
  static async start(
    opts: { maxRcptPerTransaction?: number; reply?: (line: string) => string | undefined; banner?: string } = {},
  ): Promise<LinePeer> {
    let peer: LinePeer | undefined;
    const server = createServer((sock) =>
      peer!.serve(sock, opts.maxRcptPerTransaction ?? Infinity, opts.reply, opts.banner),
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    peer = new LinePeer(server, (server.address() as { port: number }).port);
    return peer;
  }

  private serve(
    sock: Socket,
    maxRcpt: number,
    scripted?: (line: string) => string | undefined,
    banner = '220 peer.test ESMTP',
  ): void {
    this.connections++;
    this.connectedAt.push(Date.now());
    this.sockets.add(sock);
    sock.on('close', () => this.sockets.delete(sock));
    sock.on('error', () => undefined);
    sock.write(`${banner}\r\n`);
    let buf = '';
    let inData = false;
    let rcpts = 0;
    sock.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      const out: string[] = [];
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i).replace(/\r$/, '');
        buf = buf.slice(i + 1);
        if (inData) {
          if (line === '.') {
            inData = false;
            out.push('250 2.0.0 queued');
          }
          continue;
        }
        this.lines.push(line);
        const own = scripted?.(line);
        if (own !== undefined) {
          out.push(own);
          continue;
        }
        const verb = line.split(' ')[0]!.toUpperCase();
        if (verb === 'EHLO') out.push('250-peer.test\r\n250-PIPELINING\r\n250 ENHANCEDSTATUSCODES');
        else if (verb === 'MAIL' || verb === 'RSET') {
          rcpts = 0;
          out.push('250 2.0.0 ok');
        } else if (verb === 'RCPT') out.push(++rcpts > maxRcpt ? '452 4.5.3 Too many recipients' : '250 2.1.5 ok');
        else if (verb === 'DATA') {
          inData = rcpts > 0;
          out.push(rcpts > 0 ? '354 go ahead' : '554 5.5.1 no valid recipients');
        } else if (verb === 'QUIT') {
          sock.end('221 2.0.0 bye\r\n');
          return;
        } else out.push('250 2.0.0 ok');
      }
      if (out.length) sock.write(`${out.join('\r\n')}\r\n`);
    });
  }

  /** Commands of one verb, in arrival order. */
  count(verb: string): number {
    return this.lines.filter((l) => l.toUpperCase().startsWith(verb)).length;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const closed = once(this.server, 'close');
    this.server.close();
    await closed;
  }
}
