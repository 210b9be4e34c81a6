/** Set-up shared by the shaping end-to-end tests: an MX that defers with a chosen reply, and a rules file. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startAio, type Aio } from '@petrel/testkit';
import type { Scenario } from './scenario.js';

export interface DeferringMx {
  readonly mx: Aio;
  /** aio-server.py --stats: read it with aioStats. */
  readonly statsFile: string;
  /** While this file exists the MX answers every message with its line; remove it to lift the fault. */
  readonly deferFile: string;
}

/** aio-server.py as the scenario's MX (127.0.0.2), answering `reply` until deferFile is removed; stopped after the test. */
export async function startDeferringMx(s: Scenario, reply: string): Promise<DeferringMx> {
  const statsFile = join(s.dir, 'mx-stats.json');
  const deferFile = join(s.dir, 'mx-defer');
  writeFileSync(deferFile, `${reply}\n`);
  const mx = s.stopAfter(
    await startAio(s.dir, '127.0.0.2', s.mxPort, ['--stats', statsFile, '--defer-file', deferFile]),
  );
  return { mx, statsFile, deferFile };
}

/** Writes `rules` ([[rule]] tables) to s.dir/rules.toml; returns the [shaping] table that loads it (config `extra`). */
export function shapingRulesFile(s: Scenario, rules: string): string {
  const file = join(s.dir, 'rules.toml');
  writeFileSync(file, rules);
  return `[shaping]\nrules_files = ["${file}"]\n`;
}
