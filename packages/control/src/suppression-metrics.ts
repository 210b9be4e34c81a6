/**
 * Feedback-loop metrics (docs/feedback-loop.md): suppression list size per reason (read from
 * `suppression.stats` at scrape time), lookups and hits at reception, inbound reports by kind, and
 * recipients accepted and failed as suppressed. Labels are closed lists.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Bus } from '@petrel/core';

export function registerSuppressionMetrics(r: Registry, bus: Bus, undo: (() => void)[]): void {
  const stats = async (): Promise<Readonly<Record<string, unknown>>> =>
    bus.hasHandler('suppression.stats') ? bus.request('suppression.stats', {}) : {};
  new Gauge({
    name: 'petrel_suppression_entries',
    help: 'Entries on the suppression list, by reason (hard_bounce, out_of_band, complaint, manual)',
    labelNames: ['reason'],
    registers: [r],
    async collect() {
      this.reset();
      const s = await stats();
      for (const reason of ['hard_bounce', 'out_of_band', 'complaint', 'manual'])
        if (typeof s[reason] === 'number') this.set({ reason }, s[reason] as number);
    },
  });
  const series = (name: string, help: string, key: string): void => {
    new Gauge({
      name,
      help,
      registers: [r],
      async collect() {
        const v = (await stats())[key];
        this.set(typeof v === 'number' ? v : 0);
      },
    });
  };
  series('petrel_suppression_checks_total', 'Recipients looked up in the suppression list since start', 'checks');
  series('petrel_suppression_hits_total', 'Lookups that found the recipient suppressed since start', 'hits');
  series('petrel_suppression_added_total', 'Entries written to the suppression list since start', 'added');
  const reports = new Counter({
    name: 'petrel_inbound_reports_total',
    help: 'Mail to return-path domains, by kind (bounce, auto_reply, feedback, unparsed)',
    labelNames: ['kind'],
    registers: [r],
  });
  const enforced = new Counter({
    name: 'petrel_suppressed_recipients_failed_total',
    help: 'Suppressed recipients accepted and failed as class 25 (suppression_action = accept_and_fail)',
    registers: [r],
  });
  undo.push(
    bus.subscribe('inbound.reported', (ev) => reports.inc({ kind: ev.report.kind })),
    bus.subscribe('suppression.enforced', () => enforced.inc()),
  );
}
