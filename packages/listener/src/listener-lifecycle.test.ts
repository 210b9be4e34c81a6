import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import {
  Bus,
  ManualClock,
  PetrelError,
  SmtpReply,
  SystemClock,
  parseConfig,
  silentLogger,
  type StoreRequest,
} from '@petrel/core';
import { Listener } from './listener.js';
import { HOSTNAME, RawClient, deferred, startListener } from './harness.js';

const T = { timeout: 20_000 };

test('addresses() reports the port the kernel chose for port 0', T, async (t) => {
  const h = await startListener();
  t.after(() => h.close());
  const [a] = h.listener.addresses();
  assert.equal(a?.host, '127.0.0.1');
  assert.ok((a?.port ?? 0) > 0);
});

test('stop() answers 421 4.3.2 to an idle session, closes it and stops accepting', T, async (t) => {
  const h = await startListener();
  t.after(() => h.close());
  const c = await RawClient.open(h.port);
  t.after(() => c.destroy());
  await c.cmd('EHLO client.test');
  assert.equal(h.listener.stats().connectionsOpen, 1);
  const stopped = h.listener.stop();
  assert.equal(await c.reply(), '421 4.3.2 Service shutting down\r\n');
  await c.closed;
  await stopped;
  assert.equal(h.listener.stats().connectionsOpen, 0);
  await assert.rejects(RawClient.connect(h.port), /ECONNREFUSED/);
});

/** A client inside a transaction, past DATA's 354 (closed when the test ends). */
async function inData(port: number, t: TestContext): Promise<RawClient> {
  const c = await RawClient.open(port);
  t.after(() => c.destroy());
  await c.cmd('EHLO client.test');
  await c.cmd('MAIL FROM:<a@test.local>');
  await c.cmd('RCPT TO:<x@example.test>');
  assert.match(await c.cmd('DATA'), /^354 /);
  return c;
}

test('stop() lets a DATA in flight get its 250 before the 421', T, async (t) => {
  const called = deferred<StoreRequest>();
  const release = deferred<void>();
  const h = await startListener({
    store: async (req, stored) => {
      called.resolve(req);
      await release.promise;
      stored.push(req);
      return { id: req.envelope.id };
    },
  });
  t.after(() => h.close());
  const c = await inData(h.port, t);
  c.send('in flight\r\n.\r\n');
  await called.promise;
  const stopped = h.listener.stop();
  release.resolve();
  assert.match(await c.reply(), /^250 2\.0\.0 Ok: queued as /);
  assert.equal(await c.reply(), '421 4.3.2 Service shutting down\r\n');
  await c.closed;
  await stopped;
  assert.equal(h.stored.length, 1);
});

test(
  'stop() drops a DATA that does not finish within the stop deadline; nothing half-received is stored',
  T,
  async (t) => {
    const h = await startListener({ stopDeadlineMs: 300 });
    t.after(() => h.close());
    const c = await inData(h.port, t);
    c.send('Subject: never ends\r\n\r\nhalf a body\r\n');
    const started = Date.now();
    await h.listener.stop();
    const took = Date.now() - started;
    assert.ok(took >= 250, `stop waited for the deadline (${took} ms)`);
    await c.closed;
    assert.equal(h.stored.length, 0);
  },
);

test('an idle client gets 421 4.4.2 <hostname> Error: timeout exceeded and is closed', T, async (t) => {
  const clock = new ManualClock();
  const h = await startListener({ clock, listener: ['idle_timeout = "5m"'] });
  t.after(() => h.close());
  const c = await RawClient.open(h.port);
  t.after(() => c.destroy());
  assert.match(await c.cmd('EHLO client.test'), /^250-/);
  clock.advance(299_000);
  assert.match(await c.cmd('NOOP'), /^250 /, 'input re-arms the timer');
  clock.advance(299_000);
  assert.equal(c.unread, '');
  clock.advance(1_000);
  assert.equal(await c.reply(), `421 4.4.2 ${HOSTNAME} Error: timeout exceeded\r\n`);
  await c.closed;
});

test('past max_connections a client gets 421 4.7.0 Too many connections and is closed', T, async (t) => {
  const h = await startListener({ listener: ['max_connections = 1'] });
  t.after(() => h.close());
  const first = await RawClient.open(h.port);
  t.after(() => first.destroy());
  const second = await RawClient.connect(h.port);
  t.after(() => second.destroy());
  assert.equal(await second.reply(), '421 4.7.0 Too many connections\r\n');
  await second.closed;
  assert.match(await first.cmd('NOOP'), /^250 /);
  assert.equal(h.rejected[0]?.phase, 'concurrency limit');
  assert.deepEqual(
    {
      open: h.listener.stats().connectionsOpen,
      accepted: h.listener.stats().connectionsAccepted,
      refused: h.listener.stats().connectionsRefused,
    },
    { open: 1, accepted: 1, refused: 1 },
  );
});

test('a registered extension adds its EHLO keyword and answers its verb in order with the pipeline', T, async (t) => {
  const config = parseConfig('hostname = "x.test"\n[listener]\nlisten = ["127.0.0.1:0"]\n', 't.toml');
  const l = new Listener({ config, bus: new Bus(), logger: silentLogger(), clock: new SystemClock() });
  l.registerExtension({
    verb: 'XPING',
    keyword: 'XPING 1',
    handler: async (ctx, args) =>
      new SmtpReply(250, `pong ${args} from ${ctx.client.address} in ${ctx.state}`, '2.0.0'),
  });
  l.registerExtension({ verb: 'XBROKEN', handler: () => Promise.reject(new Error('bug')) });
  assert.throws(
    () => l.registerExtension({ verb: 'mail', handler: () => new SmtpReply(250, 'x') }),
    /already registered/,
  );
  await l.start();
  t.after(() => l.stop());
  assert.throws(
    () => l.registerExtension({ verb: 'XOTHER', handler: () => new SmtpReply(250, 'x') }),
    (e) => e instanceof PetrelError && e.code === 'PETREL_ERR_SERVICE_STATE',
  );
  const c = await RawClient.open(l.addresses()[0]!.port);
  t.after(() => c.destroy());
  assert.match(await c.cmd('XPING a'), /^503 5\.5\.1 /);
  assert.match(await c.cmd('EHLO client.test'), /\r\n250 XPING 1\r\n$/);
  c.send('XPING b\r\nNOOP\r\n');
  assert.equal(await c.reply(), '250 2.0.0 pong b from 127.0.0.1 in awaiting mailfrom\r\n');
  assert.match(await c.reply(), /^250 2\.0\.0 Ok/);
  assert.equal(await c.cmd('XBROKEN'), '451 4.3.0 Error: local error in processing\r\n');
  assert.match(await c.cmd('NOOP'), /^250 /, 'the session survives a failing extension');
});
