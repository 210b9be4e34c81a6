/**
 * Test-only: a private dnsmasq serving the project's *.test zone (test/peers/dnsmasq-test-zone.conf)
 * on 127.0.0.1 at a random high port, so tests never touch the system resolver or the shared 5353.
 * Not exported from index.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** packages/routing/dist/ → test/peers/ at the repository root. */
const ZONE = fileURLToPath(new URL('../../../test/peers/dnsmasq-test-zone.conf', import.meta.url));
const START_TIMEOUT_MS = 5_000;
const PORT_TRIES = 5;

export interface Dnsmasq {
  readonly port: number;
  /** "127.0.0.1:<port>", for [dns] servers. */
  readonly server: string;
  stop(): Promise<void>;
}

/** Starts dnsmasq with the shared zone plus `extra` config lines; resolves once it is serving. */
export async function startDnsmasq(extra: readonly string[] = []): Promise<Dnsmasq> {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-routing-dns-'));
  const zone = readFileSync(ZONE, 'utf8');
  let lastError = '';
  for (let i = 0; i < PORT_TRIES; i++) {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    const file = join(dir, 'dnsmasq.conf');
    writeFileSync(file, `${zone.replace(/^port=\d+$/m, `port=${port}`)}\n${extra.join('\n')}\n`);
    const child = spawn('dnsmasq', ['--keep-in-foreground', `--conf-file=${file}`, `--pid-file=${join(dir, 'dnsmasq.pid')}`, '--log-facility=-'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const started = await waitStarted(child);
    if (started.ok) {
      return {
        port,
        server: `127.0.0.1:${port}`,
        stop: async () => {
          await stopChild(child);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    lastError = started.output;
    await stopChild(child);
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`dnsmasq did not start after ${PORT_TRIES} ports: ${lastError}`);
}

/** dnsmasq logs "started, version …" once its listening sockets are bound; an early exit is a port clash. */
function waitStarted(child: ChildProcess): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    let output = '';
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      child.stderr?.removeListener('data', onData);
      child.removeListener('exit', onExit);
      // Keep draining its log so a full pipe never blocks dnsmasq.
      child.stderr?.resume();
      resolve({ ok, output });
    };
    const onData = (d: Buffer): void => {
      output += d.toString();
      if (output.includes('started, version')) done(true);
    };
    const onExit = (): void => done(false);
    const timer = setTimeout(() => done(false), START_TIMEOUT_MS);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
