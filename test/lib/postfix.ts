/**
 * A private Postfix instance (after /work/shared/peers/postfix-relay-bench.sh): its own config,
 * queue and data directories, smtpd on 127.0.0.1:<free port>; the system's Postfix is untouched.
 *
 * - `relay`: mail for any domain from 127/8 is relayed to `relayHost` (Petrel). Postfix's SMTP
 *   client pipelines, uses STARTTLS when offered (smtp_tls_security_level = may) and passes DSN
 *   parameters when the server offers DSN.
 * - `hold`: smtpd only: each accepted message goes durably into the hold queue and is never
 *   delivered (the peer of Petrel with suspend_delivery, for the accept benchmark).
 */
import { cpSync, chmodSync, chownSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { freePort, waitFor, waitForPort } from './ports.js';
import { run } from './procs.js';

export interface PostfixOptions {
  readonly mode: 'relay' | 'hold';
  /** relay mode: where all mail goes, e.g. { host: '127.0.0.1', port: petrelPort }. */
  readonly relayHost?: { readonly host: string; readonly port: number };
}

export interface Postfix {
  readonly port: number;
  readonly dir: string;
  /** Files in the incoming/active/deferred/maildrop queues (0 = everything delivered). */
  queued(): number;
  /** Files in the hold queue. */
  held(): number;
  maillog(): string;
  stop(): Promise<void>;
}

function countFiles(dir: string): number {
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) n += e.isDirectory() ? countFiles(join(dir, e.name)) : 1;
  return n;
}

/**
 * Starts Postfix in parent/postfix-<port>; stop() stops it and removes the directory. `parent`
 * must be searchable by user postfix (mode 0755, as scenario() makes it; mkdtemp gives 0700).
 */
export async function startPostfix(parent: string, opts: PostfixOptions): Promise<Postfix> {
  const port = await freePort();
  const dir = join(parent, `postfix-${port}`);
  const etc = join(dir, 'etc');
  const spool = join(dir, 'spool');
  const data = join(dir, 'data');
  mkdirSync(etc, { recursive: true });
  mkdirSync(spool, { recursive: true });
  mkdirSync(data, { recursive: true });
  chmodSync(dir, 0o755);
  const uid = Number(execFileSync('id', ['-u', 'postfix']).toString().trim());
  chownSync(data, uid, 0);
  const relay = opts.relayHost;
  if (opts.mode === 'relay' && !relay) throw new Error('relay mode needs relayHost');
  const mainCf = [
    'compatibility_level = 3.6',
    `queue_directory = ${spool}`,
    `data_directory = ${data}`,
    'mail_owner = postfix',
    'setgid_group = postdrop',
    'myhostname = pfx.test',
    'inet_interfaces = 127.0.0.1',
    'inet_protocols = ipv4',
    'mynetworks = 127.0.0.0/8',
    'mydestination =',
    'alias_maps =',
    'alias_database =',
    'smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination',
    'smtp_dns_support_level = disabled',
    'smtpd_peername_lookup = no',
    `maillog_file = ${join(data, 'maillog')}`,
    `maillog_file_prefixes = ${parent}`,
    'default_destination_concurrency_limit = 20',
    ...(opts.mode === 'relay'
      ? [`relayhost = [${relay!.host}]:${relay!.port}`, 'smtp_tls_security_level = may', 'smtp_tls_loglevel = 1', 'smtp_tls_CApath =', 'smtp_tls_CAfile =']
      : ['smtpd_data_restrictions = check_client_access static:HOLD']),
  ].join('\n');
  writeFileSync(join(etc, 'main.cf'), `${mainCf}\n`);
  cpSync('/etc/postfix/master.cf', join(etc, 'master.cf'));
  const master = readFileSync(join(etc, 'master.cf'), 'utf8').replace(/^smtp\s+inet.*$/m, `127.0.0.1:${port} inet n - n - - smtpd`);
  writeFileSync(join(etc, 'master.cf'), master.includes(`127.0.0.1:${port} inet`) ? master : `${master}\n127.0.0.1:${port} inet n - n - - smtpd\n`);
  // `postfix start` wants a terminal for its own logging; script(1) gives it one.
  const r = await run('script', ['-qc', `postfix -c ${etc} start`, '/dev/null'], { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`postfix did not start: ${r.stdout}${r.stderr}`);
  const stop = async (): Promise<void> => {
    await run('script', ['-qc', `postfix -c ${etc} stop`, '/dev/null'], { timeoutMs: 30_000 });
    const pidFile = join(spool, 'pid', 'master.pid');
    await waitFor('postfix master to exit', () => {
      if (!existsSync(pidFile)) return true;
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    }, 15_000, 100).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort('127.0.0.1', port, 15_000);
  } catch (e) {
    await stop();
    throw e;
  }
  const queues = ['incoming', 'active', 'deferred', 'maildrop'];
  return {
    port,
    dir,
    queued: () => queues.reduce((n, q) => n + countFiles(join(spool, q)), 0),
    held: () => countFiles(join(spool, 'hold')),
    maillog: () => (existsSync(join(data, 'maillog')) ? readFileSync(join(data, 'maillog'), 'utf8') : ''),
    stop,
  };
}
