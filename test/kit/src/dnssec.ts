/**
 * A DNSSEC test world on loopback: zones signed with ldns-signzone (keys from ldns-keygen), served
 * by nsd (authoritative), behind unbound (a validating resolver that trusts the signed zones' DS
 * records and treats the unsigned ones as insecure). Petrel's [dns] servers point at unbound, which
 * sets the AD bit on validated answers (RFC 4035 §3.2.3), as a production resolver would.
 */
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { accepts } from './ports.js';
import { readyWhen, startPeerProc, type Proc } from './procs.js';

/** One zone: its name, its records (zone-file lines relative to the origin), signed or not. */
export interface TestZone {
  readonly name: string;
  readonly records: readonly string[];
  readonly signed: boolean;
  /** Edits the signed zone text after signing (e.g. changes a record under its RRSIG: a bogus answer). */
  readonly tamper?: (signed: string) => string;
}

export interface DnssecWorld {
  /** "127.0.0.1:<port>" of the validating resolver, for [dns] servers. */
  readonly server: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** Writes, signs (when asked) and returns the zone file name nsd should load. */
function writeZone(dir: string, zone: TestZone): { file: string; ds?: string } {
  const file = join(dir, `${zone.name}.zone`);
  const soa = `@ IN SOA ns.${zone.name}. hostmaster.${zone.name}. 1 3600 600 86400 60`;
  writeFileSync(
    file,
    [
      `$ORIGIN ${zone.name}.`,
      '$TTL 60',
      soa,
      `@ IN NS ns.${zone.name}.`,
      'ns IN A 127.0.0.1',
      ...zone.records,
      '',
    ].join('\n'),
  );
  if (!zone.signed) return { file: `${zone.name}.zone` };
  const opts = { cwd: dir, encoding: 'utf8' as const, timeout: 30_000 };
  const ksk = execFileSync('ldns-keygen', ['-a', 'ECDSAP256SHA256', '-k', zone.name], opts).trim();
  const zsk = execFileSync('ldns-keygen', ['-a', 'ECDSAP256SHA256', zone.name], opts).trim();
  execFileSync('ldns-signzone', ['-o', zone.name, file, zsk, ksk], opts);
  if (zone.tamper) {
    const signed = join(dir, `${zone.name}.zone.signed`);
    const before = readFileSync(signed, 'utf8');
    const after = zone.tamper(before);
    if (after === before) throw new Error(`tamper changed nothing in ${signed}`);
    writeFileSync(signed, after);
  }
  return { file: `${zone.name}.zone.signed`, ds: readFileSync(join(dir, `${ksk}.ds`), 'utf8').trim() };
}

/** Starts nsd and unbound in dir/dnssec for the zones; stop() ends both. */
export async function startDnssecWorld(dir: string, zones: readonly TestZone[]): Promise<DnssecWorld> {
  const home = join(dir, 'dnssec');
  mkdirSync(home, { recursive: true });
  const written = zones.map((z) => ({ zone: z, ...writeZone(home, z) }));
  const anchors = join(home, 'trust-anchors.ds');
  writeFileSync(anchors, `${written.flatMap((w) => (w.ds ? [w.ds] : [])).join('\n')}\n`);
  const procs: Proc[] = [];
  const stop = async (): Promise<void> => {
    for (const p of procs.reverse()) await p.stop();
  };
  try {
    const nsd = await startPeerProc(
      'nsd',
      (port) => {
        const conf = join(home, 'nsd.conf');
        writeFileSync(
          conf,
          [
            'server:',
            '  ip-address: 127.0.0.1',
            `  port: ${port}`,
            '  username: ""',
            '  chroot: ""',
            `  zonesdir: "${home}"`,
            '  database: ""',
            `  zonelistfile: "${home}/zone.list"`,
            `  xfrdfile: "${home}/xfrd.state"`,
            `  pidfile: "${home}/nsd.pid"`,
            '  server-count: 1',
            '  verbosity: 1',
            'remote-control:',
            '  control-enable: no',
            ...written.flatMap((w) => ['zone:', `  name: ${w.zone.name}`, `  zonefile: ${w.file}`]),
            '',
          ].join('\n'),
        );
        return ['nsd', ['-d', '-c', conf]];
      },
      (pr, port) => readyWhen(pr, () => accepts('127.0.0.1', port), 10_000),
    );
    procs.push(nsd.proc);
    const unbound = await startPeerProc(
      'unbound',
      (port) => {
        const conf = join(home, 'unbound.conf');
        writeFileSync(
          conf,
          [
            'server:',
            '  interface: 127.0.0.1',
            `  port: ${port}`,
            '  do-ip6: no',
            '  do-not-query-localhost: no',
            '  username: ""',
            '  chroot: ""',
            `  directory: "${home}"`,
            `  pidfile: "${home}/unbound.pid"`,
            '  use-syslog: no',
            '  logfile: ""',
            '  num-threads: 1',
            '  verbosity: 1',
            '  val-log-level: 2',
            '  access-control: 127.0.0.0/8 allow',
            '  module-config: "validator iterator"',
            // RFC 6761 reserves .test; unbound answers it locally unless told not to.
            '  local-zone: "test." nodefault',
            `  trust-anchor-file: "${anchors}"`,
            ...written.filter((w) => !w.ds).map((w) => `  domain-insecure: "${w.zone.name}"`),
            'remote-control:',
            '  control-enable: no',
            ...written.flatMap((w) => ['stub-zone:', `  name: "${w.zone.name}"`, `  stub-addr: 127.0.0.1@${nsd.port}`]),
            '',
          ].join('\n'),
        );
        return ['unbound', ['-d', '-c', conf]];
      },
      (pr, port) => readyWhen(pr, () => accepts('127.0.0.1', port), 10_000),
    );
    procs.push(unbound.proc);
    return { server: `127.0.0.1:${unbound.port}`, port: unbound.port, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** A TLSA record's data for a certificate file (PEM, first certificate): SPKI (1) or whole cert (0), SHA-256. */
export function tlsaSha256(certFile: string, selector: 0 | 1): string {
  const cert = new X509Certificate(readFileSync(certFile));
  const part = selector === 1 ? cert.publicKey.export({ type: 'spki', format: 'der' }) : cert.raw;
  return createHash('sha256').update(part).digest('hex');
}
