import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { scenario } from '../lib/scenario.js';
import { swaksVia } from '../lib/submit.js';
import { startScenarioPetrel } from '../lib/petrel.js';
import { metric, scrape } from '../lib/metrics.js';
import { startSink, waitFor } from '@petrel/testkit';

test('/metrics counts known traffic: received, delivered, permanent failures, rejections', async (t) => {
  const s = await scenario(t);
  s.stopAfter(await startSink(s.dir, '127.0.0.2', s.mxPort, ['-f', 'RCPT', '-B', '550 5.1.1 No such user']));
  const p = await startScenarioPetrel(s, {
    relayNetworks: ['127.0.0.1/32'],
  });
  for (let i = 0; i < 2; i++)
    assert.equal((await swaksVia(s.listenPort, 'a@test.local', `nouser${i}@example.test`)).code, 0);
  await swaksVia(s.listenPort, 'a@test.local', 'x@example.test', ['--local-interface', '127.0.0.9']);
  await p.waitForEvents(
    'two permanent failures',
    (ev) => ev.filter((e) => e.type === 'permanent_failure').length === 2,
  );
  const sock = join(p.dir, 'spool', 'control.sock');
  const text = await waitFor('metrics to show the failures', async () => {
    const m = await scrape(sock);
    // Each failure also makes a DSN (protocol internal); wait until both are counted.
    return metric(m, 'petrel_permanent_failures_total{binding="default",code="550"}') === 2 &&
      metric(m, 'petrel_received_messages_total{protocol="internal"}') === 2
      ? m
      : undefined;
  });
  assert.equal(metric(text, 'petrel_received_messages_total{protocol="esmtp"}'), 2);
  assert.equal(metric(text, 'petrel_rejections_total'), 1);
  // Two attempts at the sink, plus the DSNs' own attempts (their sender's domain does not resolve).
  assert.ok(metric(text, 'petrel_delivery_attempt_seconds_count{binding="default"}') >= 2);
  assert.match(text, /^petrel_process_nodejs_eventloop_lag_seconds /m);
  assert.ok(metric(text, 'petrel_queue_active') === 0 || Number.isNaN(metric(text, 'petrel_queue_active')));
});

test('/metrics counts deliveries, transient failures, expirations, queue time, client events and the spool', async (t) => {
  const s = await scenario(t, ['mx-host=soft.test,mx2.example.test,10']);
  s.stopAfter(await startSink(s.dir, '127.0.0.2', s.mxPort));
  s.stopAfter(await startSink(s.dir, '127.0.0.3', s.mxPort, ['-r', 'RCPT'])); // every RCPT: 4xx
  const extra = '[domain."soft.test"]\nmessage_expiration = "3s"\nuse_ipv6 = false\n';
  const p = await startScenarioPetrel(s, {
    global: 'retry_interval = "1s"\nmax_retry_interval = "1s"',
    extra,
  });
  assert.equal((await swaksVia(s.listenPort, 'a@example.test', 'fine@example.test')).code, 0);
  assert.equal((await swaksVia(s.listenPort, 'a@example.test', 'later@soft.test')).code, 0);
  await p.waitForEvents(
    'a delivery and an expiration',
    (ev) => ev.some((e) => e.type === 'delivery') && ev.some((e) => e.type === 'expiration'),
    20_000,
  );
  const attempts = p.events().filter((e) => e.type === 'transient_failure').length;
  const sock = join(p.dir, 'spool', 'control.sock');
  const text = await waitFor('metrics to show the expiration', async () => {
    const m = await scrape(sock);
    return metric(m, 'petrel_expirations_total{binding="default"}') === 1 ? m : undefined;
  });
  assert.ok(metric(text, 'petrel_deliveries_total{binding="default"}') >= 1);
  assert.ok(
    metric(text, 'petrel_transient_failures_total{binding="default"}') >= Math.max(2, attempts),
    'every 4xx attempt counted',
  );
  assert.ok(metric(text, 'petrel_queue_time_seconds_count{binding="default"}') >= 1);
  assert.ok(metric(text, 'petrel_smtp_client_events_total{event="message-sent"}') >= 1);
  assert.ok(metric(text, 'petrel_smtp_client_events_total{event="connect"}') >= 2);
  assert.ok(Number.isFinite(metric(text, 'petrel_spool_messages')), 'spool gauge present');
  assert.ok(Number.isFinite(metric(text, 'petrel_connections_inbound')), 'inbound connections gauge present');
});
