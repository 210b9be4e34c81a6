import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { join } from 'node:path';
import { scenario } from '../lib/scenario.js';
import { startSink, swaks } from '../lib/peers.js';
import { startPetrel, testConfig } from '../lib/petrel.js';
import { waitFor } from '../lib/ports.js';

function scrape(socketPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request({ socketPath, path: '/metrics' }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body));
    })
      .on('error', reject)
      .end();
  });
}

function metric(text: string, name: string): number {
  const m = new RegExp(`^${name.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

test('/metrics counts known traffic: received, delivered, permanent failures, rejections', async (t) => {
  const s = await scenario(t);
  const sink = await startSink(s.dir, '127.0.0.2', s.mxPort, ['-f', 'RCPT', '-B', '550 5.1.1 No such user']);
  s.defer(() => sink.stop());
  const p = await startPetrel(join(s.dir, 'petrel'), testConfig({ listenPort: s.listenPort, dnsServer: s.dns.server, remotePort: s.mxPort, relayNetworks: ['127.0.0.1/32'] }), s.listenPort);
  s.defer(() => p.stop());
  for (let i = 0; i < 2; i++) assert.equal((await swaks(['--server', `127.0.0.1:${s.listenPort}`, '--from', 'a@test.local', '--to', `nouser${i}@example.test`])).code, 0);
  await swaks(['--server', `127.0.0.1:${s.listenPort}`, '--local-interface', '127.0.0.9', '--from', 'a@test.local', '--to', 'x@example.test']);
  await p.waitForEvents('two permanent failures', (ev) => ev.filter((e) => e.type === 'permanent_failure').length === 2);
  const sock = join(p.dir, 'spool', 'control.sock');
  const text = await waitFor('metrics to show the failures', async () => {
    const m = await scrape(sock);
    // Each failure also makes a DSN (protocol internal); wait until both are counted.
    return metric(m, 'petrel_permanent_failures_total{binding="default",code="550"}') === 2 && metric(m, 'petrel_received_messages_total{protocol="internal"}') === 2 ? m : undefined;
  });
  assert.equal(metric(text, 'petrel_received_messages_total{protocol="esmtp"}'), 2);
  assert.equal(metric(text, 'petrel_rejections_total'), 1);
  // Two attempts at the sink, plus the DSNs' own attempts (their sender's domain does not resolve).
  assert.ok(metric(text, 'petrel_delivery_attempt_seconds_count{binding="default"}') >= 2);
  assert.match(text, /^petrel_process_nodejs_eventloop_lag_seconds /m);
  assert.ok(metric(text, 'petrel_queue_active') === 0 || Number.isNaN(metric(text, 'petrel_queue_active')));
});
