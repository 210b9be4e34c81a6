import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { startSink, waitFor } from '@petrel/testkit';
import { webhookReceiver } from '../lib/http.js';
import { scrape } from '../lib/metrics.js';
import { type PetrelHandle, scenarioConfig, startScenarioPetrel } from '../lib/petrel.js';
import { scenario } from '../lib/scenario.js';

const SECRET = 'webhook-secret-for-the-e2e-test';

/** Every line of events.jsonl, parsed: what the receiver must get, exactly. */
function logged(p: PetrelHandle): Record<string, unknown>[] {
  return readFileSync(join(p.dir, 'log', 'events.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function send(port: number, from: number, to: number): Promise<void> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  try {
    for (let i = from; i < to; i++)
      await transport.sendMail({
        from: 'sender@test.local',
        to: `wh${i}@example.test`,
        subject: `webhook ${i}`,
        text: `message ${i}\n`,
      });
  } finally {
    transport.close();
  }
}

test('a webhook receiver stopped for a while, and a Petrel kill -9 and restart, lose no record', async (t) => {
  const s = await scenario(t);
  s.stopAfter(await startSink(s.dir, '127.0.0.2', s.mxPort));
  const rx = webhookReceiver(SECRET);
  await rx.start();
  s.defer(() => rx.stop());
  const cfg = scenarioConfig(s, {
    extra: `
[[webhook]]
name = "e2e"
url = "http://127.0.0.1:${rx.port}/events"
secret = "${SECRET}"
batch_size = 4
batch_wait = "100ms"
retry_interval = "100ms"
max_retry_interval = "400ms"
`,
  });
  const first = await startScenarioPetrel(s, cfg);
  await send(s.listenPort, 0, 3);
  await first.waitForEvents('3 deliveries', (e) => e.filter((x) => x.type === 'delivery').length >= 3);
  await rx.until('the first records', () => rx.unique().length >= logged(first).length);

  // The receiver goes down; mail goes on, and Petrel is killed while records wait for it.
  await rx.stop();
  await send(s.listenPort, 3, 8);
  await first.waitForEvents('8 deliveries', (e) => e.filter((x) => x.type === 'delivery').length >= 8);
  await first.kill9();
  const second = await startScenarioPetrel(s, cfg);
  await send(s.listenPort, 8, 10);
  await second.waitForEvents('10 deliveries', (e) => e.filter((x) => x.type === 'delivery').length >= 10);
  const metrics = await waitFor(
    'the backlog on /metrics',
    async () => {
      const r = await scrape(join(second.dir, 'spool', 'control.sock'));
      return /petrel_webhook_backlog_bytes\{endpoint="e2e"\} [1-9]/.test(r) ? r : undefined;
    },
    10_000,
  );
  assert.match(metrics, /petrel_webhook_failed_posts_total\{endpoint="e2e"\} [1-9]/);

  await rx.start();
  const want = logged(second);
  await rx.until('every logged record', () => rx.unique().length >= want.length);
  const got = rx.unique();
  assert.deepEqual(
    got.map((r) => r.record),
    want,
    'every record exactly as the event log wrote it, in order (duplicates removed by id)',
  );
  assert.equal(rx.badSignatures, 0);
  assert.ok(want.filter((r) => r.type === 'delivery').length >= 10);
});
