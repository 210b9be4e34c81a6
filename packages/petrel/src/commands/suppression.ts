/** `petrel suppression list|add|remove|import|export` (docs/cli.md, docs/feedback-loop.md). */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { isPetrelError, type SuppressionEntry } from '@petrel/core';
import { clientOptions, fail, withClient, type ClientOptions } from './common.js';
import { fromCsv, toCsv } from './suppression-csv.js';
import { table } from './table.js';

/** Entries per control call on import (the control API takes at most 5000). */
const CHUNK = 2000;
/** Entries per page read on list/export. */
const PAGE = 5000;

interface ListOptions extends ClientOptions {
  scope?: string;
  reason?: string;
  limit?: string;
}

function render(rows: readonly SuppressionEntry[]): string {
  if (rows.length === 0) return 'No suppressed addresses.\n';
  return table(
    ['Address', 'Scope', 'Reason', 'Class', 'Source', 'Since'],
    rows.map((e) => [e.address, e.scope, e.reason, e.bounceClass ?? '', e.source, new Date(e.createdAt).toISOString()]),
  );
}

export function registerSuppression(program: Command): void {
  const cmd = program.command('suppression').description('the suppression list').enablePositionalOptions();
  clientOptions(
    cmd
      .command('list')
      .description('list suppressed addresses')
      .argument('[address]', 'only this address (or @domain)')
      .option('--scope <scope>', 'global or a binding group')
      .option('--reason <reason>', 'hard_bounce, out_of_band, complaint or manual')
      .option('--limit <n>', 'at most this many', '1000'),
  ).action((address: string | undefined, o: ListOptions) =>
    withClient(
      o,
      (c) =>
        c.get<SuppressionEntry[]>('/v1/suppression', {
          address,
          scope: o.scope,
          reason: o.reason,
          limit: o.limit,
        }),
      render,
    ),
  );
  clientOptions(
    cmd
      .command('add')
      .description('suppress an address (or @domain)')
      .argument('<address>')
      .option('--scope <scope>', 'global or a binding group', 'global')
      .option('--reason <reason>', 'hard_bounce, out_of_band, complaint or manual', 'manual')
      .option('--source <text>', 'why (free text)', 'cli'),
  ).action((address: string, o: ClientOptions & { scope: string; reason: string; source: string }) =>
    withClient(
      o,
      (c) =>
        c.post<{ added: number }>('/v1/suppression/add', {
          entries: [{ address, scope: o.scope, reason: o.reason, source: o.source }],
        }),
      (r) => `Added ${r.added} entr${r.added === 1 ? 'y' : 'ies'}.\n`,
    ),
  );
  clientOptions(
    cmd
      .command('remove')
      .description('remove an address (or @domain) from the list')
      .argument('<address>')
      .option('--scope <scope>', 'only this scope (default: every scope)'),
  ).action((address: string, o: ClientOptions & { scope?: string }) =>
    withClient(
      o,
      (c) => c.post<{ removed: number }>('/v1/suppression/remove', { address, ...(o.scope ? { scope: o.scope } : {}) }),
      (r) => `Removed ${r.removed} entr${r.removed === 1 ? 'y' : 'ies'}.\n`,
    ),
  );
  clientOptions(
    cmd
      .command('import')
      .description('add the entries of a CSV file (address[,scope,reason,bounce_class,source,created_at])')
      .argument('<file>'),
  ).action((file: string, o: ClientOptions) => {
    let entries: ReturnType<typeof fromCsv>;
    try {
      entries = fromCsv(readFileSync(file, 'utf8'), file);
    } catch (e) {
      if (isPetrelError(e) || (e as NodeJS.ErrnoException).code) fail((e as Error).message);
      throw e;
    }
    return withClient(
      o,
      async (c) => {
        let added = 0;
        for (let i = 0; i < entries.length; i += CHUNK) {
          const r = await c.post<{ added: number }>('/v1/suppression/add', { entries: entries.slice(i, i + CHUNK) });
          added += r.added;
        }
        return { added };
      },
      (r) => `Imported ${r.added} entr${r.added === 1 ? 'y' : 'ies'} from ${file}.\n`,
    );
  });
  clientOptions(
    cmd.command('export').description('write the whole list as CSV (to a file, or stdout)').argument('[file]'),
  ).action((file: string | undefined, o: ClientOptions) =>
    withClient(
      { ...o, json: false },
      async (c) => {
        const all: SuppressionEntry[] = [];
        for (let offset = 0; ; offset += PAGE) {
          const page = await c.get<SuppressionEntry[]>('/v1/suppression', { limit: PAGE, offset });
          all.push(...page);
          if (page.length < PAGE) break;
        }
        return all;
      },
      (rows) => {
        const csv = toCsv(rows);
        if (!file) return csv;
        writeFileSync(file, csv);
        return `Exported ${rows.length} entr${rows.length === 1 ? 'y' : 'ies'} to ${file}.\n`;
      },
    ),
  );
}
