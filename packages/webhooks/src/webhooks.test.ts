import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
import { verifySignature } from './signature.js';
import { WebhooksService } from './webhooks-service.js';

const SECRET = 'a-secret-of-enough-length';

interface Received {
  ids: string[];
  records: { n: number; type: string }[];
  signaturesOk: boolean;
}

/** A plain node:http receiver that can be stopped and started again on the same port. */
class Receiver {
  readonly got: Received = { ids: [], records: [], signaturesOk: true };
  private server: Server | undefined;
  private waiters: { n: number; resolve: () => void }[] = [];
  port = 0;

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const sig = String(req.headers['petrel-signature'] ?? '');
        if (!verifySignature(SECRET, body, sig, Date.now())) this.got.signaturesOk = false;
        const parsed = JSON.parse(body.toString()) as {
          records: { id: string; record: { n: number; type: string } }[];
        };
        for (const r of parsed.records) {
          this.got.ids.push(r.id);
          this.got.records.push(r.record);
        }
        res.writeHead(204).end();
        const distinct = new Set(this.got.ids).size;
        for (const w of this.waiters) if (distinct >= w.n) w.resolve();
        this.waiters = this.waiters.filter((w) => distinct < w.n);
      });
    });
    await new Promise<void>((r) => server.listen(this.port, '127.0.0.1', r));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    s?.closeAllConnections();
    await new Promise((r) => s?.close(r));
  }

  /** Resolves once `n` distinct record ids have arrived. */
  until(n: number): Promise<void> {
    if (new Set(this.got.ids).size >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }
}

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
  const rx = new Receiver();
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
  await rx.until(10);
  assert.deepEqual(
    rx.got.records.map((r) => r.n),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    'the record from before the endpoint existed is not sent; every later one is',
  );
  assert.ok(rx.got.signaturesOk);
  const after = (s.stats().endpoints as { failures: number }[])[0]!;
  assert.ok(after.failures > 0, 'failed POSTs are counted');
});

test('a restart resumes at the saved cursor: nothing missing, and only types asked for', async (t) => {
  const rx = new Receiver();
  await rx.start();
  t.after(() => rx.stop());
  const { service, write } = setup(t, rx.port, 'events = ["delivery"]\n');
  const first = service();
  await first.start();
  write(0, 4);
  write(100, 102, 'reception');
  await rx.until(4);
  await first.stop();
  write(4, 8); // written while "Petrel" is down
  const second = service();
  await second.start();
  t.after(() => second.stop());
  write(8, 9);
  await rx.until(9);
  const ns = [...new Set(rx.got.records.map((r) => r.n))].sort((a, b) => a - b);
  assert.deepEqual(ns, [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  assert.ok(rx.got.records.every((r) => r.type === 'delivery'));
});
