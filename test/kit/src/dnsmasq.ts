/**
 * A private dnsmasq serving the project's *.test zone (test/peers/dnsmasq-test-zone.conf) on
 * 127.0.0.1 at a free port, so tests never touch the system resolver or a shared port.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DNS_ZONE } from './paths.js';
import { readyWhen, startPeerProc } from './procs.js';

export interface Dns {
  readonly port: number;
  /** "127.0.0.1:<port>", for [dns] servers. */
  readonly server: string;
  stop(): Promise<void>;
}
export type Dnsmasq = Dns;

/**
 * Starts dnsmasq with the shared zone plus `extra` config lines, its files in `dir` (default: a
 * temporary directory removed by stop()). Ready when it logs "started, version" (its sockets are
 * bound by then); an early exit is a port clash and is retried on another port.
 */
export async function startDnsmasq(extra: readonly string[] = [], dir?: string): Promise<Dns> {
  const own = dir === undefined;
  const home = dir ?? mkdtempSync(join(tmpdir(), 'petrel-dns-'));
  const zone = readFileSync(DNS_ZONE, 'utf8');
  const file = join(home, 'dnsmasq.conf');
  try {
    const { proc, port } = await startPeerProc(
      'dnsmasq',
      (p) => {
        writeFileSync(file, `${zone.replace(/^port=\d+$/m, `port=${p}`)}\n${extra.join('\n')}\n`);
        return [
          'dnsmasq',
          [
            '--keep-in-foreground',
            `--conf-file=${file}`,
            `--pid-file=${join(home, 'dnsmasq.pid')}`,
            '--log-facility=-',
          ],
        ];
      },
      (pr) => readyWhen(pr, () => pr.output().includes('started, version'), 5000),
    );
    return {
      port,
      server: `127.0.0.1:${port}`,
      stop: async () => {
        await proc.stop();
        if (own) rmSync(home, { recursive: true, force: true });
        else writeFileSync(join(home, 'dnsmasq.log'), proc.output());
      },
    };
  } catch (e) {
    if (own) rmSync(home, { recursive: true, force: true });
    throw e;
  }
}

/** dnsmasq for an end-to-end scenario: its files (and its log, after stop) in dir. */
export function startDns(dir: string, extra: readonly string[] = []): Promise<Dns> {
  return startDnsmasq(extra, dir);
}
