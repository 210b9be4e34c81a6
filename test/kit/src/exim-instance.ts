/**
 * One private Exim 4 (Debian's exim4-daemon-light, unpacked by test/peers/install.sh because the
 * exim4 package conflicts with postfix): its own configuration, spool and logs, one SMTP daemon in
 * the foreground. Exim re-executes itself for every delivery, so `exim_path` names the unpacked
 * binary; it runs as the Debian-exim user the install script creates. Needs root.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { EXIM } from './paths.js';
import { waitForPort } from './ports.js';
import { startProc } from './procs.js';

export interface EximInstance {
  readonly dir: string;
  /** A directory the Debian-exim user may write: where a local-delivery transport puts mail. */
  readonly mailDir: string;
  /** Exim's main log (one line per reception, delivery and bounce). */
  mainlog(): string;
  /** Stops the daemon (bounded) and removes the directory unless PETREL_KEEP_TEST_DIRS. */
  stop(): Promise<void>;
}

export interface EximConfig {
  readonly hostname: string;
  /** The routers section, after "begin routers" (first match wins, Exim spec ch. 15). */
  readonly routers: string;
  /** The transports section, after "begin transports". */
  readonly transports: string;
  /** Further main-section options (e.g. `delay_warning = 1s`). */
  readonly main?: readonly string[];
  /** The retry section (default `* * F,1m,10s`). */
  readonly retry?: string;
  /** Run a queue runner this often (`-q<time>`, e.g. "1s"): for retries, delay warnings and time-outs. */
  readonly queueRunEvery?: string;
}

/**
 * Starts Exim in `dir` listening on host:port. Every RCPT is accepted at SMTP time; what becomes
 * of a recipient is the routers' doing, and a failure is bounced to the envelope sender.
 */
export async function startEximInstance(
  dir: string,
  host: string,
  port: number,
  config: EximConfig,
): Promise<EximInstance> {
  if (!existsSync(EXIM)) throw new Error(`${EXIM} is missing: run test/peers/install.sh as root`);
  const spool = join(dir, 'spool');
  const log = join(dir, 'log');
  const mailDir = join(dir, 'mail');
  for (const d of [spool, log, mailDir]) mkdirSync(d, { recursive: true });
  chmodSync(dir, 0o755);
  const uid = Number(execFileSync('id', ['-u', 'Debian-exim']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'Debian-exim']).toString().trim());
  for (const d of [spool, log, mailDir]) chownSync(d, uid, gid);
  const conf = join(dir, 'exim.conf');
  writeFileSync(
    conf,
    [
      `primary_hostname = ${config.hostname}`,
      `exim_path = ${EXIM}`,
      `spool_directory = ${spool}`,
      `log_file_path = ${log}/%slog`,
      `pid_file_path = ${join(dir, 'exim.pid')}`,
      `local_interfaces = <; ${host}.${port}`,
      // No TLS, no ident or reverse lookups: nothing leaves the loopback and no resolver is asked.
      'tls_advertise_hosts =',
      'rfc1413_hosts =',
      'host_lookup =',
      'keep_environment =',
      'acl_smtp_rcpt = accept_all',
      ...(config.main ?? []),
      'begin acl',
      'accept_all:',
      '  accept',
      'begin routers',
      config.routers,
      'begin transports',
      config.transports,
      'begin retry',
      config.retry ?? '* * F,1m,10s',
      '',
    ].join('\n'),
  );
  const proc = startProc(EXIM, ['-C', conf, '-bdf', ...(config.queueRunEvery ? [`-q${config.queueRunEvery}`] : [])]);
  const stop = async (): Promise<void> => {
    await proc.stop();
    if (!process.env.PETREL_KEEP_TEST_DIRS) rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(host, port, 15_000);
  } catch (e) {
    const out = proc.output();
    await stop();
    throw new Error(`exim did not start: ${(e as Error).message}\n${out}`);
  }
  const mainlog = join(log, 'mainlog');
  return { dir, mailDir, stop, mainlog: () => (existsSync(mainlog) ? readFileSync(mainlog, 'utf8') : '') };
}
