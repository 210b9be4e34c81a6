import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { QueueCount } from '@petrel/core';
import { petrelJson } from '../lib/cli.js';
import { scenario } from '../lib/scenario.js';
import { listenerTransport } from '../lib/submit.js';
import { type PetrelHandle, scenarioConfig, startScenarioPetrel } from '../lib/petrel.js';
import { startSink, waitFor } from '@petrel/testkit';

const DOMAINS = ['w0.test', 'w1.test', 'w2.test', 'w3.test'];
const PER_DOMAIN = 50;
const N = DOMAINS.length * PER_DOMAIN;
const WINDOW = 5;
const CAP = 12;

/** `petrel queue --json`, checking on the way that no queue and not all together hold more than the caps. */
async function residentChecked(p: PetrelHandle): Promise<QueueCount[]> {
  const counts = await petrelJson<QueueCount[]>(p, ['queue']);
  // Without `resident`, nothing of the queue is swapped out: all of it is in memory.
  const resident = (c: QueueCount): number => c.resident ?? c.active + c.delayed + c.inFlight;
  for (const c of counts) assert.ok(resident(c) <= WINDOW, `${c.domain}: ${resident(c)} resident`);
  assert.ok(counts.reduce((n, c) => n + resident(c), 0) <= CAP, 'max_resident_messages holds');
  return counts;
}

test('a queue far larger than its resident window is held, survives kill -9 twice, and every message arrives', async (t) => {
  const s = await scenario(
    t,
    DOMAINS.map((d) => `mx-host=${d},mx1.example.test,10`),
  );
  const cfg = (suspended: boolean): string =>
    `max_resident_messages = ${CAP}\n${scenarioConfig(s, {
      global: `suspend_delivery = ${suspended}\nmax_resident_active_queue = ${WINDOW}\nmax_outbound_connections = 2`,
    })}`;
  const home = join(s.dir, 'petrel');

  // 1. Delivery suspended: all of it is acknowledged and queued, almost all of it swapped out.
  const first = await startScenarioPetrel(s, cfg(true), home);
  const transport = listenerTransport(s.listenPort, { pool: true, maxConnections: 4 });
  const sent: string[] = [];
  await Promise.all(
    Array.from({ length: N }, async (_, i) => {
      const id = `window-${i}@test.local`;
      const info = await transport.sendMail({
        from: 'sender@test.local',
        to: `rcpt${i}@${DOMAINS[i % DOMAINS.length]}`,
        subject: `window ${i}`,
        messageId: `<${id}>`,
        text: `message ${i}\n`,
      });
      assert.match(info.response, /^250 /);
      sent.push(id);
    }),
  );
  transport.close();
  const held = await residentChecked(first);
  assert.equal(
    held.reduce((n, c) => n + c.active + c.delayed + c.inFlight, 0),
    N,
    'the counts cover the swapped jobs',
  );
  await first.kill9();

  // 2. Restart delivering to a slow MX (1 s per DATA): kill -9 again while windows page in and out.
  const slow = await startSink(s.dir, '127.0.0.2', s.mxPort, ['-w', '1']);
  const second = await startScenarioPetrel(s, cfg(false), home);
  await waitFor(
    'a part delivered while the windows page',
    async () => {
      await residentChecked(second);
      return slow.messageIds().length >= 30;
    },
    60_000,
    200,
  );
  await second.kill9();
  await slow.stop();
  const before = slow.messageIds();
  assert.equal(new Set(before).size, before.length, 'nothing delivered twice while paging');
  assert.ok(before.length < N, 'the kill came mid-drain');

  // 3. Restart on a fast MX: the rest arrives; a repeat is only of mail the kill caught in flight.
  const sink = s.stopAfter(await startSink(s.dir, '127.0.0.2', s.mxPort));
  const third = await startScenarioPetrel(s, cfg(false), home);
  await waitFor(
    `all ${N} acknowledged messages at the MX`,
    () => sent.every((id) => sink.messageIds().includes(id)),
    60_000,
  );
  const all = sink.messageIds();
  assert.deepEqual(new Set(all), new Set(sent), 'none skipped');
  const repeated = all.filter((id, i) => all.indexOf(id) !== i);
  // At-least-once (docs/architecture.md): what the MX took while its outcome was not yet written.
  assert.ok(repeated.length <= DOMAINS.length * 2, `${repeated.length} repeats, more than the connections open`);
  for (const id of repeated) assert.ok(before.includes(id), `${id} repeated but was not delivered before the kill`);
  await residentChecked(third);
});
