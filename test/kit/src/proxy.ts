/**
 * Network peers for connection-level tests: a counting TCP proxy (to observe connections) and a
 * black hole (a listener that never answers a SYN, for connect timeouts).
 */
import { spawn } from 'node:child_process';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { stopChild } from './procs.js';
import type { Peer } from './smtp-sink.js';

/** A TCP forwarder that counts the connections made through it. */
export interface CountingProxy extends Peer {
  readonly accepted: number;
  readonly current: number;
  readonly maxConcurrent: number;
  /** Resolves when no connection is open through the proxy. */
  drained(): Promise<void>;
}

export async function startCountingProxy(targetPort: number, host = '127.0.0.1'): Promise<CountingProxy> {
  let accepted = 0;
  let current = 0;
  let maxConcurrent = 0;
  const sockets = new Set<Socket>();
  let onDrain: (() => void)[] = [];
  const server: Server = createServer((client) => {
    accepted++;
    current++;
    maxConcurrent = Math.max(maxConcurrent, current);
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    sockets.add(client);
    sockets.add(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    let closed = false;
    const close = (): void => {
      if (closed) return;
      closed = true;
      current--;
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
      if (current === 0) {
        const fns = onDrain;
        onDrain = [];
        for (const f of fns) f();
      }
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  });
  server.listen(0, host);
  await once(server, 'listening');
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no proxy address');
  return {
    port: addr.port,
    get accepted() {
      return accepted;
    },
    get current() {
      return current;
    },
    get maxConcurrent() {
      return maxConcurrent;
    },
    drained: () => (current === 0 ? Promise.resolve() : new Promise<void>((r) => onDrain.push(r))),
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/**
 * A destination that never answers a SYN, on loopback: a listener (python, since Node accepts at
 * once) with backlog 0 that never calls accept(). Filler connections fill its accept queue; Linux
 * then drops every further SYN (tcp_abort_on_overflow = 0), so a connect hangs until its timeout.
 * Start-up proves it: it fills until one filler does not connect within `proofMs`, and throws if
 * that never happens.
 */
export interface BlackHole extends Peer {
  readonly host: string;
}

const NEVER_ACCEPT = [
  'import socket, sys',
  's = socket.socket()',
  's.bind((sys.argv[1], 0))',
  's.listen(0)',
  'print(s.getsockname()[1], flush=True)',
  'sys.stdin.read()', // until the test closes stdin or kills it; never accept()
].join('\n');

/** Resolves true on connect, false when `ms` pass without one (an error also counts as connected: not a hang). */
function connectsWithin(sock: Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    const done = (): void => {
      clearTimeout(t);
      resolve(true);
    };
    sock.once('connect', done);
    sock.once('error', done);
  });
}

export async function startBlackHole(host = '127.0.0.1', proofMs = 250): Promise<BlackHole> {
  const child = spawn('/usr/bin/python3', ['-c', NEVER_ACCEPT, host], { stdio: ['pipe', 'pipe', 'ignore'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('exit', () => reject(new Error('never-accepting listener exited')));
  });
  const fillers: Socket[] = [];
  const stop = async (): Promise<void> => {
    for (const s of fillers) s.destroy();
    child.stdin!.end();
    await stopChild(child, 'SIGTERM', 3000);
  };
  for (let i = 0; i < 8; i++) {
    const s = connect({ host, port });
    s.on('error', () => undefined);
    fillers.push(s);
    if (!(await connectsWithin(s, proofMs))) return { host, port, stop };
  }
  await stop();
  throw new Error(`the accept queue of ${host}:${port} never filled: SYNs are not dropped on this kernel`);
}
