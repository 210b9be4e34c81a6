/**
 * One private Postfix instance (after shared/peers/postfix-relay-bench.sh): its own config, queue
 * and data directories and one smtpd service; the system's Postfix is untouched. Needs root.
 * The relay (postfix.ts) and destination (postfix-destination.ts) helpers add their own lines.
 */
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { waitFor, waitForPort } from './ports.js';
import { run } from './procs.js';

export interface PostfixInstance {
  readonly dir: string;
  readonly etc: string;
  readonly spool: string;
  readonly data: string;
  maillog(): string;
  /** Stops the master (bounded wait) and removes the directory unless PETREL_KEEP_TEST_DIRS. */
  stop(): Promise<void>;
}

/**
 * Starts Postfix in `dir` (whose parent must be searchable by user postfix) with smtpd on
 * host:port and `mainCf` lines after the common ones (later lines win).
 */
export async function startPostfixInstance(
  dir: string,
  host: string,
  port: number,
  mainCf: readonly string[],
  /** Keep `dir` after stop (the benchmark reads the maillog after the instance is gone). */
  opts: { keepDir?: boolean } = {},
): Promise<PostfixInstance> {
  const etc = join(dir, 'etc');
  const spool = join(dir, 'spool');
  const data = join(dir, 'data');
  for (const d of [etc, spool, data]) mkdirSync(d, { recursive: true });
  chmodSync(dir, 0o755);
  chownSync(data, Number(execFileSync('id', ['-u', 'postfix']).toString().trim()), 0);
  const common = [
    'compatibility_level = 3.6',
    `queue_directory = ${spool}`,
    `data_directory = ${data}`,
    'mail_owner = postfix',
    'setgid_group = postdrop',
    'inet_protocols = ipv4',
    'mynetworks = 127.0.0.0/8',
    'mydestination =',
    'alias_maps =',
    'alias_database =',
    'smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination',
    'smtp_dns_support_level = disabled',
    'smtpd_peername_lookup = no',
    `maillog_file = ${join(data, 'maillog')}`,
    `maillog_file_prefixes = ${dirname(dir)}`,
  ];
  writeFileSync(join(etc, 'main.cf'), `${[...common, ...mainCf].join('\n')}\n`);
  const service = `${host}:${port} inet n - n - - smtpd`;
  const master = readFileSync('/etc/postfix/master.cf', 'utf8').replace(/^smtp\s+inet.*$/m, service);
  writeFileSync(join(etc, 'master.cf'), master.includes(service) ? master : `${master}\n${service}\n`);
  if (existsSync('/etc/postfix/dynamicmaps.cf')) cpSync('/etc/postfix/dynamicmaps.cf', join(etc, 'dynamicmaps.cf'));
  const pidFile = join(spool, 'pid', 'master.pid');
  const stop = async (): Promise<void> => {
    await run('script', ['-qc', `postfix -c ${etc} stop`, '/dev/null'], { timeoutMs: 30_000 });
    await waitFor(
      'the Postfix master to exit',
      () => {
        if (!existsSync(pidFile)) return true;
        try {
          process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 0);
          return false;
        } catch {
          return true;
        }
      },
      15_000,
      100,
    ).catch(() => undefined);
    if (!opts.keepDir && !process.env.PETREL_KEEP_TEST_DIRS) rmSync(dir, { recursive: true, force: true });
  };
  // `postfix start` wants a terminal for its own logging; script(1) gives it one.
  const r = await run('script', ['-qc', `postfix -c ${etc} start`, '/dev/null'], { timeoutMs: 30_000 });
  if (r.code !== 0) {
    await stop();
    throw new Error(`postfix did not start: ${r.stdout}${r.stderr}`);
  }
  try {
    await waitForPort(host, port, 15_000);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    dir,
    etc,
    spool,
    data,
    stop,
    maillog: () => (existsSync(join(data, 'maillog')) ? readFileSync(join(data, 'maillog'), 'utf8') : ''),
  };
}
