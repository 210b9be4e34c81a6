import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { petrelCli, petrelJson } from '../lib/cli.js';
import { scenario } from '../lib/scenario.js';
import { swaksVia } from '../lib/submit.js';
import { waitFor } from '@petrel/testkit';
import { scenarioConfig, startScenarioPetrel } from '../lib/petrel.js';

/** Connects and resolves with the first reply line the listener sends. */
function firstLine(port: number): Promise<{ socket: Socket; line: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString();
      const i = text.indexOf('\r\n');
      if (i >= 0) resolve({ socket, line: text.slice(0, i) });
    });
    socket.on('error', reject);
  });
}

test('resume after fail reports nothing back in the active queue; Rejected Messages counts refused messages, not refused connections', async (t) => {
  const s = await scenario(t);
  const cfg = scenarioConfig(s, {
    relayNetworks: ['127.0.0.1/32'],
  }).replace('max_message_size = "10MB"', 'max_message_size = "10MB"\nmax_connections_per_ip = 1');
  const p = await startScenarioPetrel(s, cfg);
  const cli = async (args: string[]): Promise<string> => {
    const r = await petrelCli(p, args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  // Held, then purged: resuming the domain brings nothing back.
  await cli(['suspend', '--domain', 'example.test']);
  for (const tag of ['one', 'two'])
    assert.equal((await swaksVia(s.listenPort, 'a@test.local', `${tag}@example.test`)).code, 0);
  await waitFor(
    'two held messages',
    async () =>
      (await petrelJson<{ domain: string; active: number; delayed: number }[]>(p, ['queue'])).some(
        (x) => x.domain === 'example.test' && x.active + x.delayed === 2,
      ),
    10_000,
    100,
  );
  assert.match(
    await cli(['fail', '--domain', 'example.test', '--quiet']),
    /^example\.test purged\. 2 messages failed\./,
  );
  assert.equal(await cli(['resume', '--domain', 'example.test']), 'resumed; 0 message(s) back in the active queue\n');

  // One refused message (relay denied at RCPT from 127.0.0.9) and one refused connection (over max_connections_per_ip).
  const denied = await swaksVia(s.listenPort, 'a@test.local', 'x@example.test', ['--local-interface', '127.0.0.9']);
  assert.match(denied.out, /554 5\.7\.1/);
  const first = await firstLine(s.listenPort);
  s.defer(() => first.socket.destroy());
  assert.match(first.line, /^220 /);
  const second = await firstLine(s.listenPort);
  second.socket.destroy();
  assert.match(second.line, /^421 4\.7\.0/);
  first.socket.destroy();

  const human = await waitFor(
    'both rejections counted',
    async () => {
      const x = await cli(['summary']);
      return /^ {2}Rejected Connections: +1$/m.test(x) ? x : undefined;
    },
    10_000,
    100,
  );
  assert.match(human, /^ {2}Rejected Messages: +1$/m);
});
