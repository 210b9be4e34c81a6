import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Bus,
  SystemClock,
  createLogger,
  parseConfig,
  silentLogger,
  type Logger,
  type SpoolRecordRow,
} from '@petrel/core';
import { WebhookReceiver } from '@petrel/testkit';
import { verifySignature } from './signature.js';
import { WebhooksService } from './webhooks-service.js';

const SECRET = 'a-secret-of-enough-length';

/** The kit's receiver checking this test's secret; `ns` are the record numbers received, duplicates removed. */
function receiver(): WebhookReceiver {
  return new WebhookReceiver((body, sig) => verifySignature(SECRET, body, sig, Date.now()));
}
const ns = (rx: WebhookReceiver): number[] => rx.unique().map((r) => r.record.n as number);
const types = (rx: WebhookReceiver): string[] => rx.unique().map((r) => r.record.type as string);

/** A logger that resolves `failed` at the first "webhook POST failed" warning. */
function watchingLogger(): { logger: Logger; failed: Promise<void> } {
  let resolve!: () => void;
  const failed = new Promise<void>((r) => (resolve = r));
  const logger = createLogger({
    level: 'warn',
    destination: { write: (line: string) => void (line.includes('webhook POST failed') && resolve()) },
  });
  return { logger, failed };
}

function setup(t: { after: (fn: () => unknown) => void }, port: number, extra = '', logger: Logger = silentLogger()) {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-wh-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const toml = `log_dir = ${JSON.stringify(dir)}\n[[webhook]]\nname = "crm"\nurl = "http://127.0.0.1:${port}/hook"\nsecret = "${SECRET}"\nbatch_size = 3\nbatch_wait = "50ms"\nretry_interval = "20ms"\nmax_retry_interval = "100ms"\n${extra}`;
  const config = parseConfig(toml, join(dir, 'petrel.toml'));
  const records = new Map<string, SpoolRecordRow>();
  const file = join(dir, 'events.jsonl');
  writeFileSync(file, '{"type":"delivery","n":-1}\n');
  const service = () => {
    const bus = new Bus(silentLogger());
    bus.handle('spool.records', ({ keys }) => keys.map((k) => records.get(k) ?? null));
    bus.handle('spool.put_record', ({ key, value }) => {
      records.set(key, { key, value, updatedAt: Date.now() });
      return undefined;
    });
    return new WebhooksService({ config, bus, logger, clock: new SystemClock() }, { pollMs: 20 });
  };
  const write = (from: number, to: number, type = 'delivery'): void => {
    for (let n = from; n < to; n++)
      appendFileSync(file, `{"time":"2026-12-06T00:00:00.000Z","type":"${type}","n":${n}}\n`);
  };
  return { service, write, records };
}

test('a receiver down for a while gets every record once it is back, signed, in order', async (t) => {
  const rx = receiver();
  await rx.start();
  await rx.stop(); // down: connection refused on its port
  const watch = watchingLogger();
  const { service, write } = setup(t, rx.port, '', watch.logger);
  const s = service();
  await s.start();
  t.after(() => s.stop());
  write(0, 10);
  await watch.failed;
  const stats = s.stats().endpoints as { failures: number; backlog_bytes: number }[];
  assert.ok(stats[0]!.backlog_bytes > 0, 'the backlog shows on /metrics while the receiver is down');
  await rx.start();
  t.after(() => rx.stop());
  await rx.until('10 records', () => rx.unique().length >= 10);
  assert.deepEqual(
    ns(rx),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    'the record from before the endpoint existed is not sent; every later one is',
  );
  assert.equal(rx.badSignatures, 0);
  const after = (s.stats().endpoints as { failures: number }[])[0]!;
  assert.ok(after.failures > 0, 'failed POSTs are counted');
});

test('a restart resumes at the saved cursor: nothing missing, and only types asked for', async (t) => {
  const rx = receiver();
  await rx.start();
  t.after(() => rx.stop());
  const { service, write } = setup(t, rx.port, 'events = ["delivery"]\n');
  const first = service();
  await first.start();
  write(0, 4);
  write(100, 102, 'reception');
  await rx.until('4 records', () => rx.unique().length >= 4);
  await first.stop();
  write(4, 8); // written while "Petrel" is down
  const second = service();
  await second.start();
  t.after(() => second.stop());
  write(8, 9);
  await rx.until('9 records', () => rx.unique().length >= 9);
  assert.deepEqual(ns(rx), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  assert.ok(types(rx).every((t) => t === 'delivery'));
});
