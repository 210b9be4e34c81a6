import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { scenario } from '../lib/scenario.js';
import { submitWithSmtplib, startSink } from '@petrel/testkit';
import { startScenarioPetrel } from '../lib/petrel.js';

/** A raw TCP peer that greets with `greeting` and then says nothing more. */
async function rawPeer(host: string, port: number, greeting: string): Promise<Server> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
    s.write(greeting);
  });
  server.listen(port, host);
  await once(server, 'listening');
  server.on('close', () => undefined);
  const close = server.close.bind(server);
  server.close = ((cb?: (err?: Error) => void) => {
    for (const s of sockets) s.destroy();
    return close(cb);
  }) as Server['close'];
  return server;
}

test('an MX that answers garbage, or an endless greeting, is logged with what it sent and where it came from, not as "no MXs"', async (t) => {
  const s = await scenario(t, [
    'mx-host=garbage.test,mx.garbage.test,10',
    'host-record=mx.garbage.test,127.0.0.30',
    'mx-host=endless.test,mx.endless.test,10',
    'host-record=mx.endless.test,127.0.0.31',
  ]);
  const garbage = await rawPeer('127.0.0.30', s.mxPort, 'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
  s.defer(() => new Promise((r) => garbage.close(() => r(undefined))));
  // 1000 continuation lines and no last line: the client stops reading at its bound.
  const endless = await rawPeer('127.0.0.31', s.mxPort, `${'220-endless.test still greeting\r\n'.repeat(1000)}`);
  s.defer(() => new Promise((r) => endless.close(() => r(undefined))));
  // The senders' domain, for any DSN.
  s.stopAfter(await startSink(s.dir, '127.0.0.2', s.mxPort));
  const petrel = await startScenarioPetrel(s, {
    global: 'retry_interval = "1h"\nbanner_timeout = "2s"',
  });

  const ids: Record<string, string> = {};
  for (const d of ['garbage.test', 'endless.test']) {
    ids[d] = await submitWithSmtplib(s.listenPort, {
      sender: 'sender@example.test',
      recipients: [[`user@${d}`, []]],
      message: `From: sender@example.test\r\nTo: user@${d}\r\nSubject: to ${d}\r\n\r\nhello\r\n`,
    });
  }
  const ev = await petrel.waitForEvents('a deferral for each domain', (e) =>
    Object.values(ids).every((id) => e.some((x) => x.type === 'transient_failure' && x.message_id === id)),
  );
  const rec = (d: string) => ev.find((x) => x.type === 'transient_failure' && x.message_id === ids[d])!;

  const g = rec('garbage.test');
  assert.deepEqual([g.remote_host, g.remote_ip], ['mx.garbage.test', '127.0.0.30'], 'the host that answered');
  assert.doesNotMatch(g.reply!, /no MXs/);
  assert.match(g.reply!, /^4\d\d /, 'still a transient failure');
  assert.match(g.reply!, /HTTP\/1\.1 400 Bad Request/, 'what the host sent');

  const e = rec('endless.test');
  assert.deepEqual([e.remote_host, e.remote_ip], ['mx.endless.test', '127.0.0.31']);
  assert.doesNotMatch(e.reply!, /no MXs/);
  assert.match(e.reply!, /^4\d\d /);
  assert.match(e.reply!, /still greeting/, 'what the host sent');
  assert.ok(e.reply!.length < 2000, `bounded: ${e.reply!.length} characters`);
});
