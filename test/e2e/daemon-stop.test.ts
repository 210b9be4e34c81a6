import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { scenario } from '../lib/scenario.js';
import { swaksVia } from '../lib/submit.js';
import { scenarioConfig, startScenarioPetrel } from '../lib/petrel.js';
import { startSink } from '@petrel/testkit';

/** Reads from the socket until `pattern` has been seen; bounded by the socket's life. */
function until(sock: Socket, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (d: Buffer): void => {
      seen += d.toString('latin1');
      if (pattern.test(seen)) {
        sock.off('data', onData);
        resolve(seen);
      }
    };
    sock.on('data', onData);
    sock.once('close', () => reject(new Error(`closed before ${pattern}: ${seen}`)));
  });
}

test('SIGINT stops the daemon cleanly, like SIGTERM', async (t) => {
  const s = await scenario(t);
  s.stopAfter(await startSink(s.dir, '127.0.0.2', s.mxPort));
  const petrel = await startScenarioPetrel(s);
  const r = await swaksVia(s.listenPort, 'a@test.local', 'b@example.test');
  assert.equal(r.code, 0, r.out);
  await petrel.waitForEvents('the delivery', (e) => e.some((x) => x.type === 'delivery'));
  assert.equal(await petrel.stop('SIGINT'), 0, petrel.output());
});

test('stop_timeout bounds how long a client stuck in DATA holds up the stop', async (t) => {
  const s = await scenario(t);
  const petrel = await startScenarioPetrel(
    s,
    scenarioConfig(s).replace('log_level = "warn"', 'log_level = "warn"\nstop_timeout = "1s"'),
  );
  const sock = connect(s.listenPort, '127.0.0.1');
  s.defer(() => void sock.destroy());
  await until(sock, /^220 /m);
  sock.write('EHLO stuck.test\r\nMAIL FROM:<a@test.local>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n');
  await until(sock, /^354 /m);
  sock.write('Subject: never finished\r\n\r\nhalf a body\r\n');
  const closed = new Promise<void>((resolve) => sock.once('close', () => resolve()));

  const t0 = Date.now();
  const code = await petrel.stop('SIGTERM');
  const ms = Date.now() - t0;
  assert.equal(code, 0, petrel.output());
  await closed;
  assert.ok(ms >= 900 && ms < 8_000, `stopped after the 1 s deadline, not the 30 s default (${ms} ms)`);
  assert.match(petrel.output(), /listener stop deadline passed; dropping connections/);
  assert.ok(!petrel.events().some((e) => e.type === 'reception'), 'the unfinished message was never received');
});
