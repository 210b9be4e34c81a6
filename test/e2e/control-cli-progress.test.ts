import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { QueueCount } from '@petrel/core';
import { scenario } from '../lib/scenario.js';
import { listenerTransport } from '../lib/submit.js';
import { CLI, startScenarioPetrel } from '../lib/petrel.js';
import { petrelJson } from '../lib/cli.js';
import { run, waitFor } from '@petrel/testkit';

const N = 25;

test('petrel fail on a TTY works in chunks and draws a progress bar to the end', async (t) => {
  const s = await scenario(t);
  const p = await startScenarioPetrel(s, {
    global: 'suspend_delivery = true',
  });
  const transport = listenerTransport(s.listenPort, { pool: true, maxConnections: 4 });
  await Promise.all(
    Array.from({ length: N }, (_, i) =>
      transport.sendMail({ from: 's@test.local', to: `r${i}@example.test`, subject: String(i), text: 'x' }),
    ),
  );
  transport.close();
  await waitFor(`${N} held messages`, async () =>
    (await petrelJson<QueueCount[]>(p, ['queue', '--domain', 'example.test'])).some((q) => q.delayed === N),
  );
  // `script` gives the CLI a pseudo-terminal, as an operator's shell would.
  const cmd = [
    process.execPath,
    CLI,
    'fail',
    '--domain',
    'example.test',
    '--quiet',
    '--chunk',
    '10',
    '--config',
    p.configFile,
  ]
    .map((a) => `'${a}'`)
    .join(' ');
  const r = await run('script', ['-qec', cmd, '/dev/null'], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const out = r.stdout.replace(/\r/g, '\n');
  assert.match(out, /failing \[#{12}-{18}\] 10\/25 \(40%\)/);
  assert.match(out, /failing \[#{24}-{6}\] 20\/25 \(80%\)/);
  assert.match(out, /failing \[#{30}\] 25\/25 \(100%\)/);
  assert.match(out, /example\.test purged\. 25 messages failed\./);
  assert.deepEqual(
    (await petrelJson<QueueCount[]>(p, ['queue', '--domain', 'example.test'])).filter((q) => q.active + q.delayed > 0),
    [],
  );
});
