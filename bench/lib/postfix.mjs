// A private Postfix relay for benchmarks (recipe: shared/peers/postfix-relay-bench.sh): it relays
// relay.test to the sink and never touches the system's Postfix. Needs root (CI is root).
import { chmodSync, chownSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pidsWithEnv, run, waitForPort } from './procs.mjs';

export async function startPostfixRelay(dir, listenPort, sinkPort) {
  mkdirSync(join(dir, 'etc'), { recursive: true });
  mkdirSync(join(dir, 'spool'), { recursive: true });
  mkdirSync(join(dir, 'data'), { recursive: true });
  chmodSync(dir, 0o755);
  const uid = Number(execFileSync('id', ['-u', 'postfix']).toString().trim());
  chownSync(join(dir, 'data'), uid, -1);
  writeFileSync(
    join(dir, 'etc', 'main.cf'),
    `compatibility_level = 3.6
queue_directory = ${dir}/spool
data_directory = ${dir}/data
mail_owner = postfix
setgid_group = postdrop
myhostname = pfx.test
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
mydestination =
relay_domains = relay.test
transport_maps = inline:{ relay.test=smtp:[127.0.0.1]:${sinkPort} }
default_transport = error:outbound disabled in test
smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination
disable_dns_lookups = yes
smtp_dns_support_level = disabled
smtpd_peername_lookup = no
maillog_file = ${dir}/data/maillog
maillog_file_prefixes = ${dir}
# maillog_file timestamps have 1 s resolution ("Dec 06 03:16:57"); the per-recipient delay= field
# is computed from the queue file's arrival time (kept in microseconds) and logged with this many
# decimals (0..6, default 2), which is what the benchmark's latency figures read. Logging only.
delay_logging_resolution_limit = 6
alias_maps =
alias_database =
default_destination_concurrency_limit = 20
`,
  );
  const master = readFileSync('/etc/postfix/master.cf', 'utf8')
    .split('\n')
    .map((l) => (/^smtp\s+inet/.test(l) ? `127.0.0.1:${listenPort} inet n - n - - smtpd` : l))
    .join('\n');
  writeFileSync(join(dir, 'etc', 'master.cf'), master.includes(`127.0.0.1:${listenPort}`) ? master : `${master}\n127.0.0.1:${listenPort} inet n - n - - smtpd\n`);
  copyFileSync('/etc/postfix/dynamicmaps.cf', join(dir, 'etc', 'dynamicmaps.cf'));
  // `script` gives postfix the terminal it insists on when started by hand.
  const r = await run('script', ['-qc', `postfix -c ${dir}/etc start`, '/dev/null']);
  if (r.code !== 0) throw new Error(`postfix start failed: ${r.out}`);
  await waitForPort('127.0.0.1', listenPort);
  const masterPid = Number(readFileSync(join(dir, 'spool', 'pid', 'master.pid'), 'utf8').trim());
  return {
    masterPid,
    maillog: join(dir, 'data', 'maillog'),
    /** Every live process of this instance (Postfix passes MAIL_CONFIG to all its daemons). */
    pids: () => pidsWithEnv(`MAIL_CONFIG=${dir}/etc`),
    stop: async () => {
      await run('postfix', ['-c', `${dir}/etc`, 'stop']);
    },
  };
}
