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
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { startPostfixInstance } from './postfix-instance.js';

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
  const relay = opts.relayHost;
  if (opts.mode === 'relay' && !relay) throw new Error('relay mode needs relayHost');
  const pf = await startPostfixInstance(join(parent, `postfix-${port}`), '127.0.0.1', port, [
    'myhostname = pfx.test',
    'inet_interfaces = 127.0.0.1',
    'default_destination_concurrency_limit = 20',
    ...(opts.mode === 'relay'
      ? [
          `relayhost = [${relay!.host}]:${relay!.port}`,
          'smtp_tls_security_level = may',
          'smtp_tls_loglevel = 1',
          'smtp_tls_CApath =',
          'smtp_tls_CAfile =',
        ]
      : ['smtpd_data_restrictions = check_client_access static:HOLD']),
  ]);
  const queues = ['incoming', 'active', 'deferred', 'maildrop'];
  return {
    port,
    dir: pf.dir,
    queued: () => queues.reduce((n, q) => n + countFiles(join(pf.spool, q)), 0),
    held: () => countFiles(join(pf.spool, 'hold')),
    maillog: pf.maillog,
    stop: pf.stop,
  };
}

/**
 * The benchmarks' relay (bench/relay.mjs): smtpd on 127.0.0.1:listenPort relays relay.test to the
 * sink on 127.0.0.1:sinkPort and nothing else; masterPid is for CPU and memory accounting. The
 * caller removes `dir` (its maillog is read after the stop).
 */
export async function startPostfixRelay(
  dir: string,
  listenPort: number,
  sinkPort: number,
  /** More main.cf lines (the benchmark's log resolution). */
  extra: readonly string[] = [],
): Promise<{ readonly masterPid: number; readonly etc: string; readonly maillogFile: string; stop(): Promise<void> }> {
  const pf = await startPostfixInstance(
    dir,
    '127.0.0.1',
    listenPort,
    [
      'myhostname = pfx.test',
      'inet_interfaces = 127.0.0.1',
      'relay_domains = relay.test',
      `transport_maps = inline:{ relay.test=smtp:[127.0.0.1]:${sinkPort} }`,
      'default_transport = error:outbound disabled in test',
      'disable_dns_lookups = yes',
      'default_destination_concurrency_limit = 20',
      ...extra,
    ],
    { keepDir: true },
  );
  return {
    masterPid: Number(readFileSync(join(pf.spool, 'pid', 'master.pid'), 'utf8').trim()),
    etc: pf.etc,
    maillogFile: join(dir, 'data', 'maillog'),
    stop: pf.stop,
  };
}
