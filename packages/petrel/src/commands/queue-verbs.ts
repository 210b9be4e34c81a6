/** Queue verbs (Momentum mailq/showqueue/suspend/flush/fail/reroute/rebind; Postfix qshape). */
import type { Command } from 'commander';
import {
  parseDuration,
  type QueueCount,
  type QueuedJobInfo,
  type QueueShape,
  type SiteCount,
  type Suspension,
} from '@petrel/core';
import { clientOptions, fail, withClient, EXIT_CONFIG, type ClientOptions } from './common.js';
import { age, table } from './table.js';
import { chunked } from './progress.js';

interface Scope extends ClientOptions {
  domain?: string;
  binding?: string;
}

const scopeOpts = (cmd: Command): Command =>
  clientOptions(cmd).option('-d, --domain <domain>', 'recipient domain').option('-b, --binding <binding>', 'binding');

function sel(o: Scope): Record<string, string> {
  return { ...(o.domain ? { domain: o.domain } : {}), ...(o.binding ? { binding: o.binding } : {}) };
}

const AGE_BUCKETS = [
  5 * 60_000,
  10 * 60_000,
  20 * 60_000,
  40 * 60_000,
  80 * 60_000,
  160 * 60_000,
  320 * 60_000,
  640 * 60_000,
  1280 * 60_000,
];

export function registerQueueVerbs(program: Command): void {
  const queue = scopeOpts(
    program
      .command('queue')
      .alias('mailq')
      .description('queues per (binding, domain): active, delayed, in flight, oldest'),
  )
    .option('--sites', 'per MX rollup site and binding instead (docs/shaping.md)')
    .enablePositionalOptions();
  queue.action((o: Scope & { sites?: boolean }) =>
    o.sites
      ? showSites(o)
      : withClient(
          o,
          (c) => c.get<(QueueCount & { connections: number })[]>('/v1/queue', sel(o)),
          (rows) => {
            const now = Date.now();
            const sorted = [...rows].sort((a, b) => b.active + b.delayed - (a.active + a.delayed));
            // Momentum's mailq columns: C open connections, A active, D delayed; IF jobs in flight.
            return table(
              ['Group/Binding', 'Domain', 'C', 'AQ', 'DQ', 'IF', 'Oldest', 'State'],
              sorted.map((r) => [
                `${r.bindingGroup}/${r.binding}`,
                r.domain,
                r.connections,
                r.active,
                r.delayed,
                r.inFlight,
                r.oldestReceivedAt ? age(now - r.oldestReceivedAt) : '-',
                r.suspended ? 'suspended' : '',
              ]),
            );
          },
        ),
  );
  clientOptions(queue.command('show').description('queued messages of a domain (showqueue)').argument('<domain>'))
    .option('-b, --binding <binding>', 'binding')
    .option('-l, --limit <n>', 'at most this many', '100')
    .option('--offset <n>', 'skip this many', '0')
    .action((domain: string, o: Scope & { limit: string; offset: string }) =>
      withClient(
        o,
        (c) =>
          c.get<QueuedJobInfo[]>('/v1/queue/jobs', { domain, binding: o.binding, limit: o.limit, offset: o.offset }),
        (jobs) =>
          jobs
            .map(
              (j) =>
                `[${j.queue}/${j.binding}] ${j.messageId} Created: ${Math.floor(j.receivedAt / 1000)} ` +
                `Attempts: ${j.attempts}` +
                `${j.nextAttemptAt ? ` Next: ${new Date(j.nextAttemptAt).toISOString()}` : ''}\n  From: ` +
                `<${j.sender}> To: ${j.recipients.map((r) => `<${r}>`).join(' ')}` +
                (j.lastReply
                  ? `\n  Last: ${j.lastReply.code} ${j.lastReply.enhanced ?? ''} ${j.lastReply.lines.join(' ')}`
                  : ''),
            )
            .join('\n') + (jobs.length ? '\n' : 'no queued messages\n'),
      ),
    );
  scopeOpts(queue.command('shape').description('queued recipients by domain and age (qshape)')).action((o: Scope) =>
    withClient(
      o,
      // The daemon counts recipients per reception second: the answer costs O(queues), not O(jobs).
      (c) => c.get<QueueShape[]>('/v1/queue/shape', { ...sel(o), bounds: AGE_BUCKETS.join(',') }),
      (shapes) => {
        const by = new Map<string, number[]>();
        for (const s of shapes) {
          const row = by.get(s.domain) ?? new Array<number>(AGE_BUCKETS.length + 2).fill(0);
          row[0]! += s.recipients;
          s.byAge.forEach((n, i) => {
            row[i + 1]! += n;
          });
          by.set(s.domain, row);
        }
        const total = new Array<number>(AGE_BUCKETS.length + 2).fill(0);
        for (const r of by.values()) {
          r.forEach((v, i) => {
            total[i]! += v;
          });
        }
        const head = [
          '',
          'T',
          ...AGE_BUCKETS.map((m) => String(m / 60_000)),
          `${AGE_BUCKETS[AGE_BUCKETS.length - 1]! / 60_000}+`,
        ];
        const rows = [
          ['TOTAL', ...total],
          ...[...by.entries()].sort((a, b) => b[1][0]! - a[1][0]!).map(([d, r]) => [d, ...r]),
        ];
        return table(head, rows);
      },
    ),
  );

  scopeOpts(program.command('suspend').description('hold delivery for a domain, a binding, or both'))
    .option('--duration <d>', 'resume by itself after this long, e.g. 4h')
    .option('--reason <text>', 'why (shown by --list)')
    .option('--list', 'list suspensions')
    .action((o: Scope & { duration?: string; reason?: string; list?: boolean }) => {
      if (o.list) {
        return withClient(
          o,
          (c) => c.get<Suspension[]>('/v1/suspensions'),
          (rows) =>
            table(
              ['Binding', 'Domain', 'Since', 'Until', 'Reason'],
              rows.map((s) => [
                s.binding ?? '*',
                s.domain ?? '*',
                new Date(s.since).toISOString(),
                s.until ? new Date(s.until).toISOString() : '-',
                s.reason ?? '',
              ]),
            ),
        );
      }
      if (!o.domain && !o.binding) fail('suspend needs --domain, --binding, or both (or --list)', EXIT_CONFIG);
      const durationMs = o.duration === undefined ? undefined : parseDuration(o.duration);
      if (o.duration !== undefined && durationMs === undefined)
        fail(`--duration: expected a duration such as "4h", found "${o.duration}"`, EXIT_CONFIG);
      return withClient(
        o,
        (c) =>
          c.post<{ suspension: Suspension }>('/v1/suspend', {
            ...sel(o),
            ...(durationMs ? { durationMs } : {}),
            ...(o.reason ? { reason: o.reason } : {}),
          }),
        () =>
          `suspended ${o.binding ? `binding ${o.binding} ` : ''}${o.domain ? `domain ${o.domain}` : ''}` +
          `${o.duration ? ` for ${o.duration}` : ''}\n`,
      );
    });
  scopeOpts(program.command('resume').description('resume delivery suspended by `petrel suspend`')).action((o: Scope) =>
    withClient(
      o,
      (c) => c.post<{ resumed: number }>('/v1/resume', sel(o)),
      (r) => `resumed; ${r.resumed} message(s) back in the active queue\n`,
    ),
  );
  scopeOpts(program.command('flush').description('delayed mail becomes due now')).action((o: Scope) =>
    withClient(
      o,
      (c) => c.post<{ requeued: number }>('/v1/flush', sel(o)),
      (r) => `${o.domain ?? 'all'} flushed.  ${r.requeued} messages requeued.\n`,
    ),
  );
  scopeOpts(program.command('fail').description('fail queued mail permanently (with DSNs unless --quiet)'))
    .argument('[note]', 'reply to record, e.g. "554 5.7.0 [internal] Message manually purged"')
    .option('--quiet', 'no bounces')
    .option('--dry-run', 'count only')
    .option('--chunk <n>', 'jobs per step (progress bar on a TTY)', '1000')
    .action((note: string | undefined, o: Scope & { quiet?: boolean; dryRun?: boolean; chunk: string }) => {
      if (!o.domain && !o.binding) fail('fail needs --domain or --binding', EXIT_CONFIG);
      const body = { ...sel(o), quiet: o.quiet === true, ...(note ? { reply: note } : {}) };
      return withClient(
        o,
        async (c) =>
          o.dryRun
            ? c.post<{ failed: number }>('/v1/fail', { ...body, dryRun: true })
            : { failed: await chunked(c, '/v1/fail', body, 'failed', Math.max(1, Number(o.chunk) || 1000), 'failing') },
        (r) =>
          `${o.domain ?? o.binding} ${o.dryRun ? 'would be purged' : 'purged'}. ${r.failed} messages ` +
          `${o.dryRun ? 'would fail' : 'failed'}.\n`,
      );
    });
  clientOptions(
    program
      .command('reroute')
      .description("move a domain's queued mail to another domain's route")
      .argument('<from>')
      .argument('<to>'),
  )
    .option('--dry-run', 'count only')
    .option('--chunk <n>', 'jobs per step (progress bar on a TTY)', '1000')
    .action((from: string, to: string, o: ClientOptions & { dryRun?: boolean; chunk: string }) =>
      withClient(
        o,
        async (c) =>
          o.dryRun
            ? c.post<{ moved: number }>('/v1/reroute', { from, to, dryRun: true })
            : {
                moved: await chunked(
                  c,
                  '/v1/reroute',
                  { from, to },
                  'moved',
                  Math.max(1, Number(o.chunk) || 1000),
                  'rerouting',
                ),
              },
        (r) => `Moved ${r.moved} messages from '${from}' to '${to}'\n`,
      ),
    );
  clientOptions(
    program
      .command('rebind')
      .description('re-run binding assignment for queued mail')
      .argument('<binding>', "a binding or 'all'")
      .argument('[domain]'),
  ).action((binding: string, domain: string | undefined, o: ClientOptions) =>
    withClient(
      o,
      (c) => c.post<{ rebound: number }>('/v1/rebind', { binding, ...(domain ? { domain } : {}) }),
      (r) => `Rebound ${r.rebound} messages.\n`,
    ),
  );
}

/** `petrel queue --sites`: queued mail per MX rollup site and binding. */
function showSites(o: ClientOptions): Promise<void> {
  return withClient(
    o,
    (c) => c.get<SiteCount[]>('/v1/sites'),
    (rows) =>
      table(
        ['Binding', 'Site', 'Domains', 'AQ', 'DQ', 'IF'],
        rows.map((r) => [r.binding, r.site, r.domains.join(' '), r.active, r.delayed, r.inFlight]),
      ),
  );
}
