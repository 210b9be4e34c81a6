/**
 * `petrel tls report --domain d [--date YYYY-MM-DD]`: the RFC 8460 (TLS-RPT) JSON report of a
 * destination domain for one UTC day, from the running daemon's durable TLS counters.
 */
import type { Command } from 'commander';
import { EXIT_CONFIG, clientOptions, fail, withClient, type ClientOptions } from './common.js';

export function registerTls(program: Command): void {
  const tls = program.command('tls').description('TLS policy (MTA-STS, DANE) reporting');
  clientOptions(
    tls
      .command('report')
      .description('print the RFC 8460 TLS report of a destination domain for a day (UTC; default today)')
      .requiredOption('--domain <domain>', 'the recipient (policy) domain')
      .option('--date <YYYY-MM-DD>', 'the UTC day; default today'),
  ).action((o: ClientOptions & { domain: string; date?: string }) => {
    if (o.date !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(o.date))
      fail(`--date: expected YYYY-MM-DD, found ${JSON.stringify(o.date)}`, EXIT_CONFIG);
    return withClient(
      o,
      (c) => c.get<Record<string, unknown>>('/v1/tls/report', { domain: o.domain, date: o.date }),
      (r) => `${JSON.stringify(r, null, 2)}\n`,
    );
  });
}
