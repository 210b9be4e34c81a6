/**
 * Test fixtures (compiled for tests only, never into dist/): an HttpInjector on 127.0.0.1:0 with a
 * real Bus whose spool handlers are small in-memory ones (records kept like the spool's table:
 * a message and its record are stored together or not at all), and a tokens file with cheap hashes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Bus,
  ManualClock,
  PetrelError,
  parseConfig,
  silentLogger,
  type SpoolRecordRow,
  type StoreRequest,
} from '@petrel/core';
import { hashPassword } from '@petrel/passwords';
import { HttpInjector, type HttpInjectorOptions } from './http-injector.js';

export interface InjectorHarness {
  readonly url: string;
  readonly bus: Bus;
  readonly clock: ManualClock;
  readonly stored: StoreRequest[];
  readonly records: Map<string, SpoolRecordRow>;
  /** Tokens: `app` (free), `pinned` (pinned to binding group "bulk"). */
  readonly tokens: { readonly app: string; readonly pinned: string };
  /** Makes the next `n` spool.store calls after `after` successful ones fail with PETREL_ERR_SPOOL_FULL. */
  failStores(after: number, n: number): void;
  inject(body: unknown, headers?: Record<string, string>, token?: string): Promise<Response>;
  close(): Promise<void>;
}

const CHEAP = { N: 1024, r: 8, p: 1 };

export async function startInjector(
  opts: { readonly http?: readonly string[]; readonly listener?: readonly string[] } & HttpInjectorOptions = {},
): Promise<InjectorHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-http-'));
  const tokensFile = join(dir, 'tokens');
  writeFileSync(
    tokensFile,
    `# test tokens\napp:${await hashPassword('app-secret', CHEAP)}\n` +
      `pinned:${await hashPassword('pin-secret', CHEAP)}:bulk\n`,
  );
  const toml = [
    'hostname = "mta.petrel.test"',
    '[listener]',
    'add_missing_headers = false',
    ...(opts.listener ?? []),
    '[http]',
    'listen = "127.0.0.1:0"',
    `tokens_file = ${JSON.stringify(tokensFile)}`,
    ...(opts.http ?? []),
    '[binding_group.bulk.binding.b1]',
    'bind_address = "127.0.0.2"',
  ].join('\n');
  const config = parseConfig(toml, join(dir, 'petrel.toml'));
  const bus = new Bus(silentLogger());
  const clock = new ManualClock(Date.UTC(2026, 11, 6));
  const stored: StoreRequest[] = [];
  const records = new Map<string, SpoolRecordRow>();
  let failAfter = Number.POSITIVE_INFINITY;
  let failCount = 0;
  let calls = 0;
  bus.handle('spool.store', async (req) => {
    await new Promise((r) => setImmediate(r));
    if (calls++ >= failAfter && failCount > 0) {
      failCount--;
      throw new PetrelError('PETREL_ERR_SPOOL_FULL', 'spool refused the message: test', {});
    }
    if (req.record && records.has(req.record.key))
      throw new PetrelError('PETREL_ERR_SPOOL_RECORD_EXISTS', 'exists', { key: req.record.key });
    stored.push(req);
    if (req.record) records.set(req.record.key, { ...req.record, updatedAt: clock.now() });
    return { id: req.envelope.id };
  });
  bus.handle('spool.records', ({ keys }) => keys.map((k) => records.get(k) ?? null));
  bus.handle('spool.put_record', ({ key, value }) => {
    records.set(key, { key, value, updatedAt: clock.now() });
    return undefined;
  });
  bus.handle('spool.prune_records', ({ prefix, before }) => {
    let deleted = 0;
    for (const [k, r] of records)
      if (k.startsWith(prefix) && r.updatedAt < before) {
        records.delete(k);
        deleted++;
      }
    return { deleted };
  });
  const injector = new HttpInjector({ config, bus, logger: silentLogger(), clock }, opts);
  await injector.start();
  const url = `http://${injector.addresses()[0]}`;
  return {
    url,
    bus,
    clock,
    stored,
    records,
    tokens: { app: 'app.app-secret', pinned: 'pinned.pin-secret' },
    failStores(after, n) {
      failAfter = calls + after;
      failCount = n;
    },
    inject(body, headers = {}, token = 'app.app-secret') {
      return fetch(`${url}/v1/inject`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
    },
    async close() {
      await injector.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
