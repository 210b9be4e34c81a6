import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Bus, SystemClock, isPetrelError, parseConfig, silentLogger } from '@petrel/core';
import { Spool } from './spool.js';
import { body, envelope, tempRoot } from './spool-fixture.js';

test('[spool] min_free_space and max_batch_size from the config file govern the spool', async (t) => {
  const tmp = tempRoot();
  t.after(() => tmp.cleanup());
  const config = parseConfig(
    `spool_dir = ${JSON.stringify(tmp.spoolDir)}\n[spool]\nmin_free_space = "1MB"\nmax_batch_size = 2\n`,
    join(tmp.root, 'petrel.toml'),
  );
  assert.deepEqual(config.spool, { min_free_space: 1_000_000, max_batch_size: 2, recovery_chunk_size: 500 });
  let free = 2_000_000;
  const logger = silentLogger();
  const bus = new Bus(logger);
  const spool = new Spool({ config, bus, logger, clock: new SystemClock() }, { freeSpaceProbe: () => free });
  await spool.start();
  t.after(() => spool.stop());
  await Promise.all([0, 1, 2, 3, 4].map((i) => bus.request('spool.store', { envelope: envelope(), body: body(i) })));
  assert.equal(spool.stats().storeCommits, 3, 'five stores in one turn, at most two per commit');
  free = 999_999;
  // The guard re-reads statfs at most once a second; a fresh spool reads it on first use.
  const bus2 = new Bus(logger);
  const config2 = parseConfig(
    `spool_dir = ${JSON.stringify(join(tmp.root, 's2'))}\n[spool]\nmin_free_space = "1MB"\n`,
    join(tmp.root, 'p2.toml'),
  );
  const spool2 = new Spool(
    { config: config2, bus: bus2, logger, clock: new SystemClock() },
    { freeSpaceProbe: () => free },
  );
  await spool2.start();
  t.after(() => spool2.stop());
  await assert.rejects(bus2.request('spool.store', { envelope: envelope(), body: body(9) }), (e) =>
    isPetrelError(e, 'PETREL_ERR_SPOOL_FULL'),
  );
});
