/** Fixtures shared by this package's tests (not exported from index.ts). */
import { mkdtempSync, rmSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Bus,
  SystemClock,
  parseConfig,
  silentLogger,
  type Clock,
  type DeliveryJob,
  type MessageEnvelope,
  type MessageSpooled,
  type ServiceContext,
} from '@petrel/core';
import { Spool, type SpoolOptions } from './spool.js';

/** A temp directory holding a spool dir; `cleanup` removes it. */
export function tempRoot(): { root: string; spoolDir: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'petrel-spool-'));
  return { root, spoolDir: join(root, 'spool'), cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

export interface SpoolFixture {
  readonly root: string;
  readonly spoolDir: string;
  /** Opens a spool on `dir` (default: the fixture's spool dir); it is stopped at the end of the test. */
  open(options?: SpoolOptions, clock?: Clock, dir?: string): ReturnType<typeof openSpool>;
  /** Runs `fn` at the end of the test, before the spools stop and the directory goes. */
  onCleanup(fn: () => void): void;
}

/** A temp spool directory for one test; spools opened through it are stopped, then the directory removed. */
export function spoolFixture(t: TestContext): SpoolFixture {
  const tmp = tempRoot();
  const spools: Spool[] = [];
  const extra: (() => void)[] = [];
  t.after(async () => {
    for (const fn of extra) fn();
    for (const s of spools.reverse()) await s.stop();
    tmp.cleanup();
  });
  return {
    root: tmp.root,
    spoolDir: tmp.spoolDir,
    async open(options = {}, clock, dir = tmp.spoolDir) {
      const r = await openSpool(dir, options, clock);
      spools.push(r.spool);
      return r;
    },
    onCleanup: (fn) => extra.push(fn),
  };
}

/** A real config (parsed from TOML) pointing at `spoolDir`, a fresh bus, a silent logger. */
export function context(spoolDir: string, clock: Clock = new SystemClock()): ServiceContext {
  const config = parseConfig(`spool_dir = ${JSON.stringify(spoolDir)}\n`, join(spoolDir, '..', 'petrel.toml'));
  const logger = silentLogger();
  return { config, bus: new Bus(logger), logger, clock };
}

/** Starts a spool on its own bus and collects every message.spooled it publishes. */
export async function openSpool(
  spoolDir: string,
  options: SpoolOptions = {},
  clock?: Clock,
): Promise<{ spool: Spool; ctx: ServiceContext; spooled: MessageSpooled[] }> {
  const ctx = context(spoolDir, clock);
  const spooled: MessageSpooled[] = [];
  ctx.bus.subscribe('message.spooled', (e) => {
    spooled.push(e);
  });
  const spool = new Spool(ctx, options);
  await spool.start();
  return { spool, ctx, spooled };
}

export function envelope(rcpts: readonly string[] = ['bob@example.test'], id = ''): MessageEnvelope {
  return {
    id,
    sender: 'alice@sender.test',
    recipients: rcpts.map((address) => ({ address, domain: address.slice(address.indexOf('@') + 1) })),
    receivedAt: Date.UTC(2026, 0, 1),
    size: 0,
    protocol: 'esmtp',
    client: { address: '127.0.0.1', port: 40000, helo: 'client.test' },
  };
}

export function body(n: number): Buffer {
  return Buffer.from(`Subject: test ${n}\r\nFrom: alice@sender.test\r\n\r\nbody ${n}\r\n`);
}

/** A delivery job for some recipients of a stored message. */
export function job(env: MessageEnvelope, indexes: readonly number[]): DeliveryJob {
  return {
    id: `${env.id}/default/example.test/0`,
    messageId: env.id,
    sender: env.sender,
    binding: 'default',
    bindingGroup: 'default',
    domain: 'example.test',
    recipients: indexes.map((index) => {
      const r = env.recipients[index];
      if (!r) throw new Error(`no recipient ${index}`);
      return { ...r, index };
    }),
    size: env.size,
    receivedAt: env.receivedAt,
    attempts: 0,
    nextAttemptAt: 0,
  };
}
