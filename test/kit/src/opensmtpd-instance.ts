/**
 * One OpenSMTPD (Debian's opensmtpd 6.8, unpacked by test/peers/install.sh because the package
 * conflicts with postfix), in the foreground with its own configuration. Its spool
 * (/var/spool/smtpd) and control socket (/run/smtpd.sock) are fixed when it is built, so only one
 * instance runs at a time: a lock file keeps a second start waiting (bounded). It runs in a mount
 * namespace of its own whose /etc/resolv.conf names only loopback, so its reverse lookups of
 * connecting clients (glibc's resolver, which no option turns off) never reach the system
 * resolver. Needs root.
 */
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { OPENSMTPD } from './paths.js';
import { waitForPort } from './ports.js';
import { startProc } from './procs.js';

const SPOOL = '/var/spool/smtpd';
const SOCKET = '/run/smtpd.sock';
const LOCK = '/run/petrel-test-opensmtpd.lock';

export interface OpenSmtpdInstance {
  readonly dir: string;
  /** The maildir a `maildir` action may deliver to (owned by nobody, who delivers). */
  readonly mailDir: string;
  /** What smtpd -d -v wrote: one line per session, envelope, delivery and bounce. */
  log(): string;
  /** Stops the daemon (bounded), empties the spool and removes the directory unless PETREL_KEEP_TEST_DIRS. */
  stop(): Promise<void>;
}

/** Waits (bounded) for the lock that lets one OpenSMTPD run: its spool and socket are shared. */
async function takeLock(timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      closeSync(openSync(LOCK, 'wx'));
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (Date.now() > end) throw new Error(`${LOCK} is held: another OpenSMTPD test is running`);
      await sleep(200);
    }
  }
}

/**
 * Starts OpenSMTPD in `dir` with `config` (smtpd.conf(5): tables, actions, matches). `listen` lines
 * are the caller's; every listener in `ports` is waited for. `@MAILDIR@` in the config is the
 * instance's maildir.
 */
export async function startOpenSmtpdInstance(
  dir: string,
  config: string,
  ports: readonly { readonly host: string; readonly port: number }[],
): Promise<OpenSmtpdInstance> {
  if (!existsSync(OPENSMTPD)) throw new Error(`${OPENSMTPD} is missing: run test/peers/install.sh as root`);
  await takeLock(120_000);
  const mailDir = join(dir, 'maildir');
  mkdirSync(mailDir, { recursive: true });
  chmodSync(dir, 0o755);
  const nobody = Number(execFileSync('id', ['-u', 'nobody']).toString().trim());
  chownSync(mailDir, nobody, nobody);
  // A previous run's envelopes would be delivered again; a stale socket stops the start.
  rmSync(SPOOL, { recursive: true, force: true });
  rmSync(SOCKET, { force: true });
  const conf = join(dir, 'smtpd.conf');
  writeFileSync(conf, `${config.replaceAll('@MAILDIR@', mailDir)}\n`);
  const resolv = join(dir, 'resolv.conf');
  writeFileSync(resolv, 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');
  const proc = startProc('unshare', [
    '-m',
    'sh',
    '-c',
    'mount --bind "$1" /etc/resolv.conf && exec "$2" -d -v -f "$3"',
    'sh',
    resolv,
    OPENSMTPD,
    conf,
  ]);
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await proc.stop();
    rmSync(SPOOL, { recursive: true, force: true });
    rmSync(LOCK, { force: true });
    if (!process.env.PETREL_KEEP_TEST_DIRS) rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const p of ports) await waitForPort(p.host, p.port, 15_000);
  } catch (e) {
    const out = proc.output();
    await stop();
    throw new Error(`opensmtpd did not start: ${(e as Error).message}\n${out}`);
  }
  return { dir, mailDir, stop, log: proc.output };
}
