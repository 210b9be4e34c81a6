#!/usr/bin/env node
// Spool durability cost: messages/s and commits/s through spool.store (SQLite WAL, synchronous=FULL)
// with group commit (max_batch_size 512) vs one commit per message (max_batch_size 1), for 1 KB and
// 50 KB bodies, with `--concurrency` stores outstanding (like that many SMTP sessions).
// Prints one JSON line per (mode, size). usage: node bench/spool-commit.mjs [--messages 4000] [--concurrency 100]
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bus, SystemClock, parseConfig, silentLogger } from '../packages/core/dist/index.js';
import { Spool } from '../packages/spool/dist/index.js';

const argv = process.argv.slice(2);
const get = (k, d) => {
  const i = argv.indexOf(`--${k}`);
  return i >= 0 ? Number(argv[i + 1]) : d;
};
const MESSAGES = get('messages', 4000);
const CONCURRENCY = get('concurrency', 100);

async function run(mode, size) {
  const root = mkdtempSync(join(tmpdir(), 'petrel-bench-spool-'));
  const logger = silentLogger();
  const config = parseConfig(
    `spool_dir = ${JSON.stringify(join(root, 'spool'))}\n[spool]\nmin_free_space = 0\nmax_batch_size = ${mode === 'group' ? 512 : 1}\n`,
    join(root, 'petrel.toml'),
  );
  const bus = new Bus(logger);
  const spool = new Spool({ config, bus, logger, clock: new SystemClock() });
  await spool.start();
  const body = Buffer.alloc(size, 'x');
  const envelope = {
    id: '',
    sender: 'a@s.test',
    recipients: [{ address: 'b@example.test', domain: 'example.test' }],
    receivedAt: Date.now(),
    size,
    protocol: 'esmtp',
  };
  let next = 0;
  const start = process.hrtime.bigint();
  const session = async () => {
    while (next < MESSAGES) {
      next++;
      await bus.request('spool.store', { envelope, body });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, session));
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  const { storeCommits } = spool.stats();
  await spool.stop();
  rmSync(root, { recursive: true, force: true });
  return {
    bench: 'spool-commit',
    mode,
    size,
    messages: MESSAGES,
    concurrency: CONCURRENCY,
    msgPerSec: Math.round(MESSAGES / secs),
    commitsPerSec: Math.round(storeCommits / secs),
    commits: storeCommits,
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
  };
}

for (const size of [1024, 51200])
  for (const mode of ['group', 'per-message']) console.log(JSON.stringify(await run(mode, size)));
