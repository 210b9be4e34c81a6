import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scenario } from '../lib/scenario.js';
import { listenerTransport } from '../lib/submit.js';
import { scenarioConfig, startScenarioPetrel } from '../lib/petrel.js';
import { startSink, waitFor } from '@petrel/testkit';

const N = 40;

test('kill -9 after messages got 250 and before delivery: after a restart every one is delivered', async (t) => {
  const s = await scenario(t);
  const cfg = (suspended: boolean): string =>
    scenarioConfig(s, {
      global: `suspend_delivery = ${suspended}`,
    });
  // Delivery suspended: every message is acknowledged and held in the spool.
  const first = await startScenarioPetrel(s, cfg(true));
  const transport = listenerTransport(s.listenPort, { pool: true, maxConnections: 4 });
  const acked: string[] = [];
  await Promise.all(
    Array.from({ length: N }, async (_, i) => {
      const info = await transport.sendMail({
        from: 'sender@test.local',
        to: `rcpt${i}@example.test`,
        subject: `crash ${i}`,
        messageId: `<crash-${i}@test.local>`,
        text: `message ${i}\n`,
      });
      assert.match(info.response, /^250 /);
      acked.push(`crash-${i}@test.local`);
    }),
  );
  transport.close();
  assert.equal(acked.length, N);
  await first.kill9();

  // Restart with delivery allowed and a sink at the MX: the spool replays all of them.
  const sink = s.stopAfter(await startSink(s.dir, '127.0.0.2', s.mxPort));
  await startScenarioPetrel(s, cfg(false));
  // smtp-sink writes each dump progressively: wait until every acknowledged Message-ID is there.
  const idsAtSink = (): string[] => sink.messageIds();
  await waitFor(
    `all ${N} acknowledged messages at the sink`,
    () => acked.every((id) => idsAtSink().includes(id)),
    30_000,
  );
  const ids = idsAtSink();
  assert.equal(new Set(ids).size, N);
  assert.equal(ids.length, N, 'no duplicates: nothing was in flight at the kill');
});
