/** Verbs about the daemon itself: stop, status, summary, log reopen, config reload. */
import type { Command } from 'commander';
import type { SummaryData } from '@petrel/control';
import { clientOptions, withClient, type ClientOptions } from './common.js';
import { momentumFields, rate } from './momentum-fields.js';

/** Momentum's `summary` text (reference §7), field names and order as ec_console prints them. */
function renderSummary(s: SummaryData): string {
  return `Summary Statistics\n${momentumFields([
    ['Outbound Concurrency', s.outboundConcurrency],
    ['Inbound Concurrency', s.inboundConcurrency],
    ['Active Domains', s.activeDomains],
    ['Active Queue Size', s.activeQueue],
    ['Delayed Queue Size', s.delayedQueue],
    ['Total Queue Size', s.totalQueue],
    ['Successfully Delivered Messages', s.delivered],
    ['Failed Messages', s.failed],
    ['Rejected Messages', s.rejected],
    // Not a Momentum field: connections refused before any transaction (limits, early talkers).
    ['Rejected Connections', s.rejectedConnections],
    ['Received Messages', s.received],
    ['Delivery Rate', rate(s.delivered, s.sinceReset)],
    ['Reception Rate', rate(s.received, s.sinceReset)],
    ['Statistics Last Reset', `${Math.floor(s.sinceReset)} seconds`],
    ['Uptime', `${Math.floor(s.uptime)} seconds`],
  ])}`;
}

export function registerDaemonVerbs(program: Command, configCmd: Command): void {
  clientOptions(program.command('stop').description('stop the running daemon gracefully')).action((o: ClientOptions) =>
    withClient(
      o,
      (c) => c.post('/v1/stop'),
      () => 'petrel: stopping\n',
    ),
  );
  clientOptions(program.command('status').description('is the daemon running? pid, uptime')).action(
    (o: ClientOptions) =>
      withClient(
        o,
        (c) => c.get<{ pid: number; uptime: number; config: string }>('/v1/status'),
        (s) => `petrel running: pid ${s.pid}, up ${s.uptime} s, config ${s.config}\n`,
      ),
  );
  clientOptions(
    program.command('summary').description("Momentum's summary statistics").option('--reset', 'reset the counters'),
  ).action((o: ClientOptions & { reset?: boolean }) =>
    withClient(
      o,
      async (c) => {
        if (o.reset) await c.post('/v1/summary/reset');
        return c.get<SummaryData>('/v1/summary');
      },
      renderSummary,
    ),
  );
  const log = program.command('log').description('log files');
  clientOptions(log.command('reopen').description('reopen log files (after logrotate)')).action((o: ClientOptions) =>
    withClient(
      o,
      (c) => c.post('/v1/log/reopen'),
      () => 'logs reopened\n',
    ),
  );
  clientOptions(configCmd.command('reload').description('re-read the config file; delivery options apply live')).action(
    (o: ClientOptions) =>
      withClient(
        o,
        (c) => c.post<{ applied: string[]; restartRequired: string[] }>('/v1/config/reload'),
        (r) =>
          `configuration reloaded\n` +
          (r.applied.length ? `  applied: ${r.applied.join(', ')}\n` : '  applied: nothing changed\n') +
          (r.restartRequired.length ? `  restart required for: ${r.restartRequired.join(', ')}\n` : ''),
      ),
  );
}
