// A spool holding a deep queue, for the benchmarks at depth (queue-depth, spool-recovery): the
// spool creates its own schema, then the test helpers' bulk path (test/lib/spool.ts, built by
// `pnpm build`) writes the messages into it with SQL, far faster than SMTP.
import { join } from 'node:path';
import { Bus, SystemClock, parseConfig, silentLogger } from '../../packages/core/dist/index.js';
import { Spool } from '../../packages/spool/dist/index.js';
import { writeQueue } from '../../test/dist/lib/spool.js';

/** `count` pending one-recipient messages for the domains d0.test … d<domains-1>.test in a new spool at `spoolDir`. */
export async function fillNewSpool(spoolDir, { count, domains, prefix, bodySize, perTransaction, progress }) {
  const logger = silentLogger();
  const config = parseConfig(
    `spool_dir = ${JSON.stringify(spoolDir)}\n[spool]\nmin_free_space = 0\n`,
    join(spoolDir, 'bench.toml'),
  );
  const spool = new Spool({ config, bus: new Bus(logger), logger, clock: new SystemClock() }, { outcomeReserve: 0 });
  await spool.start(); // the spool's schema, created by the spool itself
  await spool.stop();
  writeQueue(spoolDir, {
    count,
    domains: Array.from({ length: domains }, (_, k) => `d${k}.test`),
    prefix,
    bodySize,
    perTransaction,
    progress,
  });
}
